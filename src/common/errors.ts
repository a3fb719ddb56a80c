/**
 * Errors shaped like Node's own: argument errors carry Node's `code`
 * (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ...), OS failures carry `code`,
 * `errno` and `syscall` like the errors of the `net` module.
 * @packageDocumentation
 */
import { inspect, getSystemErrorMap, getSystemErrorName } from 'node:util';

/** Codes of the errors this library raises itself (beside the OS codes). */
export type LibraryErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_SOCKET_CLOSED'
  | 'ERR_TCP_KEEPALIVE_NOT_TCP'
  | 'ERR_TCP_KEEPALIVE_NO_FD'
  | 'ERR_TCP_KEEPALIVE_NOT_CONNECTED'
  | 'ERR_TCP_KEEPALIVE_UNSUPPORTED'
  | 'ERR_TCP_KEEPALIVE_BINDING'
  | 'ERR_TCP_KEEPALIVE_INTERNAL'
  | 'ERR_TCP_KEEPALIVE_DISCONNECTED'
  | 'ERR_TCP_KEEPALIVE_QUEUE_FULL';

/** Node's name for libuv's negative errno ('ETIMEDOUT'), or undefined when it has none. */
export function errorName(uvErrno: number): string | undefined {
  try {
    const name = getSystemErrorName(uvErrno);
    return name.startsWith('Unknown system error') ? undefined : name;
  } catch {
    return undefined; // not a negative integer: no name
  }
}

/** libuv's negative errno for Node's name of it ('ETIMEDOUT' → -110 on Linux, -4039 on Windows). */
export function errnoOf(name: string): number | undefined {
  for (const [errno, [known]] of getSystemErrorMap()) if (known === name) return errno;
  return undefined;
}

/** An error raised by this library, with a stable `code` to branch on. */
export interface CodedError extends Error {
  code: LibraryErrorCode | string;
}

/**
 * An OS failure, as Node reports them: `code` ('EBADF'), `errno` (libuv's
 * negative number, as in Node), `syscall` ('setsockopt' or 'getsockopt').
 * `option` names the socket option involved, e.g. 'TCP_KEEPINTVL'.
 */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  option?: string;
  fd?: number;
  /** The OS's own error number (errno on POSIX, the WSA code on Windows). */
  osError?: number;
}

function withCode<E extends Error>(error: E, code: string): E & { code: string } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  // Node prints "TypeError [ERR_X]: message"; the stack's first line shows it too.
  if (error.stack !== undefined) {
    error.stack = error.stack.replace(/^(\w*Error)/, `$1 [${code}]`);
  }
  return error as E & { code: string };
}

function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return ` Received ${String(value)}`;
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? ` Received an instance of ${name}` : ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

/** TypeError ERR_INVALID_ARG_TYPE: `name` must be of type `expected`. */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError & { code: string } {
  const what = name.includes('.') ? 'property' : 'argument';
  return withCode(new TypeError(`The "${name}" ${what} must be ${expected}.${describeReceived(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/** TypeError ERR_INVALID_ARG_VALUE: `name` has a value of the right type but not allowed. */
export function invalidArgValue(name: string, value: unknown, reason: string): TypeError & { code: string } {
  const what = name.includes('.') ? 'property' : 'argument';
  return withCode(
    new TypeError(`The ${what} '${name}' ${reason}. Received ${inspect(value, { depth: 0 })}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

/** RangeError ERR_OUT_OF_RANGE whose message names the valid range. */
export function outOfRange(name: string, range: string, value: unknown): RangeError & { code: string } {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** Error with a library code (ERR_SOCKET_CLOSED, ERR_TCP_KEEPALIVE_*). */
export function libraryError(code: LibraryErrorCode, message: string): Error & { code: string } {
  return withCode(new Error(message), code);
}

/**
 * Builds a Node-style system error from libuv's negative errno.
 * The message reads like Node's ("setsockopt EINVAL"), followed by the
 * option involved so a user can tell which value the kernel refused.
 */
export function systemError(uvErrno: number, syscall: string, option?: string, fd?: number): SystemError {
  const code = errorName(uvErrno) ?? `Unknown system error ${uvErrno}`;
  const suffix = option ? ` (${option})` : '';
  const error = new Error(`${syscall} ${code}${suffix}`) as SystemError;
  error.errno = uvErrno;
  error.code = code;
  error.syscall = syscall;
  if (option !== undefined) error.option = option;
  if (fd !== undefined) error.fd = fd;
  return error;
}
