/**
 * `tcp-keepalive/heartbeat`: an application heartbeat, for what kernel
 * keep-alive cannot see (a hung peer process). A framed message channel
 * with a PING/PONG heartbeat, its server and a client channel that
 * reconnects with backoff; adapters for protocols with a
 * ping of their own (ws, HTTP/2); `createHeartbeat` for any other protocol.
 * @packageDocumentation
 */
export {
  HeartbeatChannel,
  ReconnectingChannel,
  createHeartbeat,
  createHeartbeatServer,
  heartbeatHttp2,
  heartbeatWebSocket,
  type AdapterOptions,
  type BackoffOptions,
  type ChannelDeathReport,
  type ChannelEvents,
  type ChannelOptions,
  type GenericHeartbeatOptions,
  type Heartbeat,
  type HeartbeatDeath,
  type HeartbeatEvents,
  type HeartbeatOptions,
  type HeartbeatServer,
  type HeartbeatServerOptions,
  type HeartbeatTimeoutError,
  type PingRateLimit,
  type ReconnectAttempt,
  type ReconnectingChannelEvents,
  type ReconnectingChannelOptions,
  type RttEstimate,
  type WebSocketLike,
} from '../heartbeat';
