/**
 * Loads the compiled addon (a matching prebuild, else the local build) and
 * describes exactly what it exports. A missing or broken binary, or one built
 * from another version of the contract, is a clear error that says what was
 * looked for and how to fix it: a socket-options library has no JavaScript
 * fallback.
 * @packageDocumentation
 */
import * as path from 'node:path';
import { libraryError } from '../common';
import { CONTRACT } from './contract';

/** An inclusive range, in the public API's units (ms, probes). */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** What this OS accepts (native/platform_*.cc); a setting the OS lacks is absent. */
export interface OsLimits {
  /** Name used in messages, e.g. 'Linux'. */
  readonly name: string;
  /** Idle time before the first probe, ms (the OS stores whole seconds). */
  readonly idle?: Range;
  /** Time between probes, ms (the OS stores whole seconds). */
  readonly interval?: Range;
  /** Unanswered probes before the connection is dropped. */
  readonly count?: Range;
  /** Give-up time for unacknowledged data, ms; 0 = system default where allowed. */
  readonly userTimeout?: Range;
  /** The OS stores the user timeout in whole seconds (rounded up). */
  readonly userTimeoutInSeconds: boolean;
}

/**
 * What a failed call returns: the socket's kind when it is not TCP, else the
 * syscall and the option of the failing step as this OS names them.
 */
export type Failure = string | [syscall: string, option: string] | undefined;

/**
 * The functions of native/addon.cc. Every call takes the socket number and
 * the caller's scratch (a Float64Array of CONTRACT.scratchLength elements;
 * its slots are Slot in ./contract), reads its request from the scratch and
 * writes its result into it; the addon keeps no reference to it.
 */
/** One connection as diagTcp reports it; `info` is shaped like a scratch (read with tcpInfoFromScratch). */
export interface NativeDiagEntry {
  family: 4 | 6;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** DiagTimer in ./contract. */
  timer: number;
  timerExpiresMs: number;
  timerRetransmits: number;
  uid: number;
  inode: number;
  info: Float64Array;
}

export interface NativeBinding {
  /** Checks the socket, applies the masked settings, reads all back. */
  apply(socket: number, scratch: Float64Array): Failure;
  /** Reads all settings. */
  read(socket: number, scratch: Float64Array): Failure;
  /** Reads and clears SO_ERROR. */
  socketError(socket: number, scratch: Float64Array): Failure;
  /** Takes a TCP_INFO snapshot. */
  tcpInfo(socket: number, scratch: Float64Array): Failure;
  /** Looks, consuming nothing: is an error pending, how many bytes are readable. */
  pending(socket: number, scratch: Float64Array): Failure;
  /** Windows only: the SOCKET whose local and remote endpoints match, or -1. */
  findSocket?(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): number;
  /**
   * Linux only: the TCP connections of this network namespace with these
   * ports (0: any), from sock_diag; libuv's negative errno on failure.
   */
  diagTcp?(localPort: number, remotePort: number): NativeDiagEntry[] | number;
  /** Bit set of the settings this OS supports (Field in ./contract). */
  readonly supported: number;
  /** This OS's ranges. */
  readonly limits: OsLimits;
  /** The sizes of the contract the binary was built from. */
  readonly contract: { scratchLength: number; infoFields: number; states: number; ops: number };
}

/** The package root: two levels above this file (src/native/ or lib/native/). */
const packageRoot = path.resolve(__dirname, '..', '..');

function load(): { binding: NativeBinding; file: string } {
  // Resolved lazily so importing the package never fails before the first use
  // would have; node-gyp-build honours PREBUILDS_ONLY=1 for prebuild tests.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require('node-gyp-build') as ((dir: string) => unknown) & { resolve(dir: string): string };
  let file: string;
  let binding: NativeBinding;
  try {
    file = nodeGypBuild.resolve(packageRoot);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require(file) as NativeBinding;
  } catch (cause) {
    throw bindingError(`no usable native binary`, `Looked in ${path.join(packageRoot, 'prebuilds')} and ${path.join(packageRoot, 'build', 'Release')}.`, cause);
  }
  const built = binding.contract;
  if (built === undefined || (Object.keys(CONTRACT) as Array<keyof typeof CONTRACT>).some((k) => built[k] !== CONTRACT[k])) {
    throw bindingError(
      `the native binary ${file} was built from another version of native/tcp_keepalive.h`,
      `It reports ${JSON.stringify(built)}, this code expects ${JSON.stringify(CONTRACT)}.`,
      undefined,
    );
  }
  return { binding, file };
}

function bindingError(what: string, where: string, cause: unknown): Error {
  const abi = process.versions.napi ? `N-API ${process.versions.napi}` : `ABI ${process.versions.modules}`;
  const libc = process.platform === 'linux' ? ` libc=${isMusl() ? 'musl' : 'glibc'}` : '';
  const error = libraryError(
    'ERR_TCP_KEEPALIVE_BINDING',
    `tcp-keepalive: ${what} for platform=${process.platform} arch=${process.arch}${libc} ` +
      `(${abi}, Node ${process.versions.node}). ${where} Fix: build it from source with ` +
      `"npm rebuild tcp-keepalive" (needs python3, make and a C++ compiler: build-essential on Debian/Ubuntu, ` +
      `Xcode command line tools on macOS, Visual Studio Build Tools on Windows).` +
      (cause === undefined ? '' : ` Cause: ${cause instanceof Error ? cause.message : String(cause)}`),
  );
  if (cause !== undefined) (error as Error & { cause?: unknown }).cause = cause;
  return error;
}

function isMusl(): boolean {
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}

let loaded: { binding: NativeBinding; file: string } | undefined;

/** The addon, loaded on first use. Throws ERR_TCP_KEEPALIVE_BINDING when it cannot be. */
export function binding(): NativeBinding {
  loaded ??= load();
  return loaded.binding;
}

/** Absolute path of the native binary in use (a prebuild or build/Release). */
export function bindingPath(): string {
  loaded ??= load();
  return loaded.file;
}
