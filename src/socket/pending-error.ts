/**
 * The socket's pending error (SO_ERROR): read (which clears it), or only
 * looked at.
 * @packageDocumentation
 */
import { errorName } from '../common';
import { connectedFd, nativeCall, Slot, throwIfFailed, type SocketLike } from '../native';

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
  throwIfFailed(scratch, native.socketError(fd, scratch), fd);
  const errno = scratch[Slot.PENDING_ERRNO];
  if (errno === 0) return null;
  return { code: errorName(errno) ?? `Unknown system error ${errno}`, errno };
}

/** What {@link peekSocket} sees. */
export interface SocketPeek {
  /** An error is pending (what getSocketError would return and clear). */
  errorPending: boolean;
  /** Bytes the kernel holds for reading. */
  readableBytes: number;
}

/**
 * @internal Looks at a socket without taking anything from it: whether an
 * error is pending (poll's POLLERR) and how many bytes are readable
 * (FIONREAD). Acting on a socket Node does not poll is safe only when
 * neither an error nor data would be lost.
 */
export function peekSocket(fd: number): SocketPeek {
  const { native, scratch } = nativeCall();
  throwIfFailed(scratch, native.pending(fd, scratch), fd);
  return { errorPending: scratch[Slot.HAS_ERROR] !== 0, readableBytes: scratch[Slot.READABLE] };
}
