/**
 * tcp-keepalive: full control of TCP dead-peer detection for Node.js.
 * @packageDocumentation
 */
export { setKeepAlive, getKeepAlive, whenKeepAliveApplied, checkKeepAlive, KEEPALIVE_APPLIED_EVENT } from './keepalive';
export type { KeepAliveSettings, KeepAliveCheck } from './keepalive';
export type { KeepAliveOptions } from './options';
export { getSocketError } from './socket-error';
export type { PendingSocketError } from './socket-error';
export { getTcpInfo } from './tcp-info';
export type { TcpInfo, TcpState } from './tcp-info';
export type { SocketLike } from './native';
export { bindingPath } from './native';
export type { SystemError, CodedError, LibraryErrorCode } from './errors';
export { classifyDeath } from './death';
export type { DeathReason, DetectedBy, DeathContext, Classification } from './death';
export { watch, Watcher } from './watcher';
export type { DeathReport, WatchOptions, WatcherEvents } from './watcher';
export { Heartbeat, validateHeartbeatOptions } from './heartbeat/engine';
export type { HeartbeatOptions, HeartbeatTransport, HeartbeatDeath, HeartbeatEvents, RttEstimate } from './heartbeat/engine';
export { HeartbeatChannel } from './heartbeat/channel';
export type { ChannelOptions, ChannelEvents, HeartbeatTimeoutError } from './heartbeat/channel';
export { createHeartbeatServer } from './heartbeat/server';
export type { HeartbeatServer, HeartbeatServerOptions } from './heartbeat/server';
export { FrameDecoder, FrameType, ProtocolError, encodeFrame, encodePingPong, encodeHello, DEFAULT_MAX_FRAME_BYTES } from './heartbeat/frame';
export type { FrameHandler, ProtocolViolation } from './heartbeat/frame';
export type { PingRateLimit } from './heartbeat/ping-limit';
export { heartbeatWebSocket, heartbeatHttp2, createHeartbeat } from './heartbeat/adapters';
export type { WebSocketLike, AdapterOptions, GenericHeartbeatOptions } from './heartbeat/adapters';
