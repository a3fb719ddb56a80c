/**
 * The calling convention of the addon: one Float64Array, private to this
 * module and passed with every call, carries requests in and results out (no
 * objects allocated per successful call); a failure recorded in it becomes a
 * Node-style error here. Nothing outside this module can reach the scratch,
 * so nothing can transfer or detach it.
 * @packageDocumentation
 */
import { libraryError, systemError } from '../common';
import { binding, type Failure, type NativeBinding } from './binary';
import { CONTRACT, Slot, Status } from './contract';

let native: NativeBinding | undefined;
let scratch: Float64Array | undefined;

/** The addon and the scratch to pass to it, created on first use. */
export function nativeCall(): { native: NativeBinding; scratch: Float64Array } {
  if (native === undefined || scratch === undefined) {
    native = binding();
    // Over an ArrayBuffer of its own: its memory is off the V8 heap and never moves.
    scratch = new Float64Array(new ArrayBuffer(CONTRACT.scratchLength * 8));
  }
  return { native, scratch };
}

/** Throws the error the scratch records, if any. `failure` is what the native call returned. */
export function throwIfFailed(scratch: Float64Array, failure: Failure, fd: number): void {
  const status = scratch[Slot.STATUS];
  if (status === Status.OK) return;
  if (status === Status.NOT_TCP) {
    throw libraryError('ERR_TCP_KEEPALIVE_NOT_TCP', `tcp-keepalive: descriptor ${fd} is a ${typeof failure === 'string' ? failure : 'non-TCP'} socket, not a TCP socket`);
  }
  const [syscall, option] = Array.isArray(failure) ? failure : ['getsockopt', 'unknown'];
  if (status === Status.UNSUPPORTED) {
    throw libraryError('ERR_TCP_KEEPALIVE_UNSUPPORTED', `tcp-keepalive: ${option} is not supported on ${process.platform}`);
  }
  if (status === Status.TIMES_TOGETHER) {
    throw libraryError(
      'ERR_TCP_KEEPALIVE_UNSUPPORTED',
      'tcp-keepalive: this Windows sets the keep-alive times only together (SIO_KEEPALIVE_VALS): pass both idle and interval',
    );
  }
  const error = systemError(scratch[Slot.ERRNO], syscall, option, fd);
  // The OS's own number (errno, or the WSA code on Windows), for what libuv has no name for.
  error.osError = scratch[Slot.OS_ERROR];
  throw error;
}
