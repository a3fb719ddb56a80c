/**
 * The application heartbeat: a transport-agnostic engine (when to PING, when
 * a connection is dead, RTT from PONG echoes) driven by one shared scheduler;
 * the framed channel protocol (frames, decoder, deadlines, PING limit) with
 * its channel and server; adapters for protocols that have their own ping
 * (ws, HTTP/2). A channel reports its deaths through the socket's watcher.
 *
 * May import: ../common, ../metrics, ../socket, ../death and Node.
 * @packageDocumentation
 */
export {
  createHeartbeat,
  heartbeatHttp2,
  heartbeatWebSocket,
  type AdapterOptions,
  type GenericHeartbeatOptions,
  type WebSocketLike,
} from './adapters';
export {
  HeartbeatChannel,
  type ChannelDeathReport,
  type ChannelEvents,
  type ChannelOptions,
  type HeartbeatTimeoutError,
} from './channel';
export { Backoff, GRPC_BACKOFF, validateBackoffOptions, type BackoffOptions } from './backoff';
export { ReconnectingChannel, type ReconnectAttempt, type ReconnectingChannelEvents, type ReconnectingChannelOptions } from './reconnecting-channel';
export { Heartbeat, type HeartbeatDeath, type HeartbeatEvents, type HeartbeatOptions, type HeartbeatTransport, type RttEstimate } from './engine';
export {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecoder,
  FrameType,
  ProtocolError,
  encodeFrame,
  encodeHello,
  encodePingPong,
  type FrameHandler,
  type ProtocolViolation,
} from './frame';
export type { PingRateLimit } from './ping-limit';
export { createHeartbeatServer, type HeartbeatServer, type HeartbeatServerOptions } from './server';
