/**
 * Finding the OS socket behind what the user passes: a net.Socket (client
 * or server side), a tls.TLSSocket, or a raw POSIX file descriptor.
 * @packageDocumentation
 */
import type * as net from 'node:net';
import { binding } from './binary';
import { invalidArgType, isNetSocket, libraryError, outOfRange } from '../common';

/**
 * What the functions of this library accept: a `net.Socket` (from
 * `net.connect`, a `net`/`http`/`https` server), a `tls.TLSSocket`, or a raw
 * POSIX file descriptor number of a TCP socket (not on Windows).
 */
export type SocketLike = net.Socket | number;

/** Where a socket stands: its descriptor, or why there is none yet. */
export type SocketState =
  | { kind: 'fd'; fd: number }
  | { kind: 'pending'; socket: net.Socket };

interface HandleLike {
  fd?: unknown;
  _parent?: HandleLike | null;
}

interface SocketInternals {
  _handle?: HandleLike | null;
  _parent?: SocketInternals | null;
}

function fdOf(handle: HandleLike | null | undefined): number {
  const fd = handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : -1;
}

/**
 * The descriptor of a connected socket. Looks at the handle itself, then at
 * the TCP handle a TLS handle wraps, then at the socket a TLSSocket was
 * built on; never assumes one property path.
 */
function descriptorOf(socket: net.Socket): number {
  const s = socket as unknown as SocketInternals;
  let fd = fdOf(s._handle);
  if (fd < 0) fd = fdOf(s._handle?._parent);
  if (fd < 0 && s._parent) fd = fdOf(s._parent._handle);
  if (fd < 0 && process.platform === 'win32') fd = windowsSocketOf(socket);
  return fd;
}

/** The SOCKET found for each net.Socket on Windows. */
const windowsSockets = new WeakMap<net.Socket, number>();

/**
 * Windows gives JavaScript no SOCKET: the addon finds it by the endpoints,
 * walking the loop's TCP handles. That is done once per net.Socket, while the
 * connection is known to be live (callers have checked it is not destroyed),
 * and kept: a later walk would cost two syscalls per handle at every call and
 * could meet another handle with the same endpoints.
 */
function windowsSocketOf(socket: net.Socket): number {
  const known = windowsSockets.get(socket);
  if (known !== undefined) return known;
  const find = binding().findSocket;
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (!find || !localAddress || !localPort || !remoteAddress || !remotePort) return -1;
  const found = find(localAddress, localPort, remoteAddress, remotePort);
  if (found >= 0) windowsSockets.set(socket, found);
  return found;
}

/** Validates a raw descriptor number. */
function rawDescriptor(fd: number, name: string): number {
  if (!Number.isInteger(fd) || fd < 0 || fd > 2 ** 31 - 1) {
    throw outOfRange(name, 'an integer >= 0 && <= 2147483647 (a file descriptor)', fd);
  }
  if (process.platform === 'win32') {
    throw invalidArgType(name, 'an instance of net.Socket on Windows (raw descriptors are POSIX only)', fd);
  }
  return fd;
}

/**
 * Resolves `socket` to its descriptor, or reports that it is not connected
 * yet. Throws ERR_INVALID_ARG_TYPE for anything that is not a socket,
 * ERR_SOCKET_CLOSED for a destroyed one, ERR_TCP_KEEPALIVE_NO_FD when a
 * connected socket has no descriptor (e.g. a TLSSocket over a non-TCP stream).
 */
export function socketState(socket: unknown, name = 'socket'): SocketState {
  if (typeof socket === 'number') return { kind: 'fd', fd: rawDescriptor(socket, name) };
  const s = netSocketOrThrow(socket, name);
  if (s.pending || s.connecting) return { kind: 'pending', socket: s };
  return { kind: 'fd', fd: descriptorOrThrow(s) };
}

/**
 * Like {@link socketState} but a socket that is not connected yet is an
 * error. Allocates nothing: the process-wide policy calls it per connection.
 */
export function connectedFd(socket: unknown, name = 'socket'): number {
  if (typeof socket === 'number') return rawDescriptor(socket, name);
  const s = netSocketOrThrow(socket, name);
  if (s.pending || s.connecting) {
    throw libraryError('ERR_TCP_KEEPALIVE_NOT_CONNECTED', 'tcp-keepalive: the socket is not connected yet (wait for its "connect" event)');
  }
  return descriptorOrThrow(s);
}

function netSocketOrThrow(socket: unknown, name: string): net.Socket {
  if (!isNetSocket(socket)) {
    throw invalidArgType(name, 'an instance of net.Socket or tls.TLSSocket, or a file descriptor number', socket);
  }
  if (socket.destroyed) throw libraryError('ERR_SOCKET_CLOSED', 'Socket is closed');
  return socket;
}

function descriptorOrThrow(socket: net.Socket): number {
  const fd = descriptorOf(socket);
  if (fd < 0) {
    throw libraryError(
      'ERR_TCP_KEEPALIVE_NO_FD',
      'tcp-keepalive: this socket has no TCP descriptor (it is not backed by a TCP handle, e.g. a TLSSocket over another stream)',
    );
  }
  return fd;
}

/**
 * What Node itself opened a socket as, from its handle's class: 'tcp' (its
 * TCP handle, which libuv gives only to a stream socket of AF_INET or
 * AF_INET6; directly or under TLS), 'pipe' (UNIX domain, named pipe), or
 * 'unknown' (anything else: then only the kernel's answer counts).
 */
export function handleKind(socket: net.Socket): 'tcp' | 'pipe' | 'unknown' {
  type Handle = { constructor?: { name?: unknown }; _parent?: Handle | null } | null | undefined;
  let handle = (socket as unknown as { _handle?: Handle })._handle;
  if (handle?.constructor?.name === 'TLSWrap') handle = handle._parent;
  const name = handle?.constructor?.name;
  return name === 'TCP' ? 'tcp' : name === 'Pipe' ? 'pipe' : 'unknown';
}
