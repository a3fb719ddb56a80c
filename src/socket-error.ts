/**
 * The socket's pending error (SO_ERROR).
 * @packageDocumentation
 */
import { getSystemErrorName } from 'node:util';
import { nativeCall, throwIfFailed } from './native-call';
import { connectedFd, type SocketLike } from './socket-handle';

/** A pending socket error, with Node's code ('ETIMEDOUT') and libuv's negative errno. */
export interface PendingSocketError {
  code: string;
  errno: number;
}

/**
 * Reads **and thereby clears** the socket's pending error (SO_ERROR): what
 * the kernel recorded when it gave up on the connection (ETIMEDOUT after
 * keep-alive probes or a user timeout, ECONNRESET, EHOSTUNREACH, ...).
 * @returns `null` when there is none.
 */
export function getSocketError(socket: SocketLike): PendingSocketError | null {
  const fd = connectedFd(socket);
  const { native, scratch } = nativeCall();
  const kind = native.socketError(fd);
  throwIfFailed(scratch, kind, fd);
  const errno = scratch[3];
  if (errno === 0) return null;
  let code: string;
  try {
    code = getSystemErrorName(errno);
  } catch {
    code = `Unknown system error ${errno}`;
  }
  return { code, errno };
}
