/**
 * tcp-keepalive: full control of TCP dead-peer detection for Node.js — one
 * policy for every connection of the process (protectConnections), kernel
 * keep-alive read back from the kernel, the socket's pending error and
 * TCP_INFO, why a connection died, and a watcher that reports it once.
 * The heartbeat is `tcp-keepalive/heartbeat`, its wire format
 * `tcp-keepalive/protocol`.
 *
 * The public entries (this folder) may import the layers' entries up to the
 * heartbeat, never the lab or the CLI: importing the library loads neither.
 * @packageDocumentation
 */
export type { CodedError, LibraryErrorCode, SystemError } from '../common';
export type { SocketLike } from '../native';
export {
  checkKeepAlive,
  getKeepAlive,
  getSocketError,
  getTcpInfo,
  setKeepAlive,
  whenKeepAliveApplied,
  type KeepAliveCheck,
  type KeepAliveOptions,
  type KeepAliveSettings,
  type PendingSocketError,
  type TcpInfo,
  type TcpState,
} from '../socket';
export {
  protectConnections,
  socketFactory,
  type ConnectionProtection,
  type ProtectedDeath,
  type ProtectionEvents,
  type ProtectionPolicy,
  type ProtectionStats,
  type ProtectOptions,
  type SkippedCounts,
} from '../policy';
export {
  classifyDeath,
  watch,
  type Classification,
  type DeathContext,
  type DeathReason,
  type DeathReport,
  type DeclaredDeath,
  type DetectedBy,
  type Watcher,
  type WatcherEvents,
  type WatchOptions,
} from '../death';
