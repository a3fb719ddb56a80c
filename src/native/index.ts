/**
 * The native boundary: loading the addon (a prebuild or the local build), the
 * calling convention (one private scratch, Node-style errors from what it
 * records), the contract generated from native/tcp_keepalive.h, and finding
 * the OS socket behind a net.Socket. The only layer that talks to the addon.
 *
 * May import: ../common and Node. Nothing above it.
 * @packageDocumentation
 */
export { binding, bindingPath, type NativeBinding, type NativeDiagEntry, type OsLimits, type Range } from './binary';
export { nativeCall, throwIfFailed } from './call';
export { DIAG_TIMERS, Field, Slot, Status, TCP_STATES, tcpInfoFromScratch, type DiagTimer, type TcpInfo, type TcpState } from './contract';
export { connectedFd, handleKind, socketState, type SocketLike, type SocketState } from './descriptor';
