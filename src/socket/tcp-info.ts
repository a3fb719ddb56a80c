/**
 * A normalized snapshot of the kernel's view of a TCP connection. The fields
 * and their documentation come from native/tcp_keepalive.h (the generated
 * src/native/contract.ts).
 * @packageDocumentation
 */
import { connectedFd, nativeCall, tcpInfoFromScratch, throwIfFailed, type SocketLike, type TcpInfo } from '../native';

export type { TcpInfo, TcpState } from '../native';

/**
 * Takes a snapshot of the connection's TCP state from the kernel.
 * @param socket - a connected net.Socket / tls.TLSSocket, or a raw TCP descriptor.
 */
export function getTcpInfo(socket: SocketLike): TcpInfo {
  const fd = connectedFd(socket);
  const { native, scratch } = nativeCall();
  throwIfFailed(scratch, native.tcpInfo(fd, scratch), fd);
  return tcpInfoFromScratch(scratch);
}
