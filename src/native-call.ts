/**
 * The calling convention of the addon: one Float64Array, private to this
 * module and passed with every call, carries requests in and results out (no
 * objects allocated per call); a failure recorded in it becomes a Node-style
 * error here. Nothing outside this module can reach the scratch, so nothing
 * can transfer or detach it.
 * @packageDocumentation
 */
import { binding, type NativeBinding } from './binding';
import { libraryError, systemError } from './errors';

/** Status codes of scratch[0] (native/addon.cc). */
const enum Status {
  Ok = 0,
  OsError = 1,
  NotTcp = 2,
  Unsupported = 3,
  TimesTogether = 4,
}

/** enum tk_op (native/tcp_keepalive.h) → [syscall, option name per platform]. */
function describeOp(op: number): [syscall: string, option: string] {
  const darwin = process.platform === 'darwin';
  const win = process.platform === 'win32';
  switch (op) {
    case 1: return ['getsockopt', darwin || process.platform === 'freebsd' ? 'SO_TYPE' : 'SO_PROTOCOL'];
    case 2: return ['setsockopt', 'SO_KEEPALIVE'];
    case 3: return ['setsockopt', darwin ? 'TCP_KEEPALIVE' : 'TCP_KEEPIDLE'];
    case 4: return ['setsockopt', 'TCP_KEEPINTVL'];
    case 5: return ['setsockopt', 'TCP_KEEPCNT'];
    case 6: return ['setsockopt', darwin ? 'TCP_RXT_CONNDROPTIME' : win ? 'TCP_MAXRT' : 'TCP_USER_TIMEOUT'];
    case 7: return ['WSAIoctl', 'SIO_KEEPALIVE_VALS'];
    case 8: return ['getsockopt', 'SO_KEEPALIVE'];
    case 9: return ['getsockopt', darwin ? 'TCP_KEEPALIVE' : 'TCP_KEEPIDLE'];
    case 10: return ['getsockopt', 'TCP_KEEPINTVL'];
    case 11: return ['getsockopt', 'TCP_KEEPCNT'];
    case 12: return ['getsockopt', darwin ? 'TCP_RXT_CONNDROPTIME' : win ? 'TCP_MAXRT' : 'TCP_USER_TIMEOUT'];
    case 13: return ['getsockopt', 'SO_ERROR'];
    case 14: return win ? ['WSAIoctl', 'SIO_TCP_INFO'] : ['getsockopt', darwin ? 'TCP_CONNECTION_INFO' : 'TCP_INFO'];
    case 15: return [win ? 'WSAPoll' : 'poll', 'FIONREAD'];
    default: return ['getsockopt', 'unknown'];
  }
}

let native: NativeBinding | undefined;
let scratch: Float64Array | undefined;

/** The addon and the scratch to pass to it, created on first use. */
export function nativeCall(): { native: NativeBinding; scratch: Float64Array } {
  if (native === undefined || scratch === undefined) {
    native = binding();
    // Over an ArrayBuffer of its own: its memory is off the V8 heap and never moves.
    scratch = new Float64Array(new ArrayBuffer(native.scratchLength * 8));
  }
  return { native, scratch };
}

/** Throws the error recorded in the scratch, if any. `kind` is the native return value. */
export function throwIfFailed(scratch: Float64Array, kind: string | undefined, fd: number): void {
  const status = scratch[0];
  if (status === Status.Ok) return;
  const [syscall, option] = describeOp(scratch[2]);
  if (status === Status.NotTcp) {
    throw libraryError('ERR_TCP_KEEPALIVE_NOT_TCP', `tcp-keepalive: descriptor ${fd} is a ${kind ?? 'non-TCP'} socket, not a TCP socket`);
  }
  if (status === Status.Unsupported) {
    throw libraryError('ERR_TCP_KEEPALIVE_UNSUPPORTED', `tcp-keepalive: ${option} is not supported on ${process.platform}`);
  }
  if (status === Status.TimesTogether) {
    throw libraryError(
      'ERR_TCP_KEEPALIVE_UNSUPPORTED',
      'tcp-keepalive: this Windows sets the keep-alive times only together (SIO_KEEPALIVE_VALS): pass both idle and interval',
    );
  }
  const error = systemError(scratch[1] as number, syscall, option, fd);
  // The OS's own number (errno, or the WSA code on Windows), for what libuv has no name for.
  (error as { osError?: number }).osError = scratch[3];
  throw error;
}
