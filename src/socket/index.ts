/**
 * Kernel keep-alive and socket state: the keep-alive options and their
 * validation against this OS's ranges, applying and reading them back
 * (persist against Node's own setKeepAlive, through the one wrapper of a
 * socket's setKeepAlive that keepalive-observers owns), the pending socket
 * error (read, or only looked at), TCP_INFO snapshots, and the machine's
 * connections as the kernel lists them (sock_diag, read-only).
 *
 * May import: ../common, ../native and Node.
 * @packageDocumentation
 */
export {
  applyPolicyKeepAlive,
  prepareKeepAlive,
  type PolicyHooks,
  type PreparedKeepAlive,
  checkKeepAlive,
  getKeepAlive,
  keepAliveConfigured,
  setKeepAlive,
  whenKeepAliveApplied,
  type KeepAliveCheck,
} from './keepalive';
export { observeKeepAlive, type KeepAliveObserver } from './keepalive-observers';
export { readKeepAliveOptions, validateOptions, type KeepAliveOptions, type KeepAliveSettings } from './options';
export { getSocketError, peekSocket, type PendingSocketError, type SocketPeek } from './pending-error';
export { getTcpInfo, type TcpInfo, type TcpState } from './tcp-info';
export { tcpConnections, type ConnectionFilter, type ConnectionTimer, type MachineConnection } from './connections';
