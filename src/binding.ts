/**
 * Loads the compiled addon (a matching prebuild, else the local build) and
 * describes exactly what it exports. A missing or broken binary is a clear
 * error that says what was looked for and how to fix it: a socket-options
 * library has no JavaScript fallback.
 * @packageDocumentation
 */
import * as path from 'node:path';
import { libraryError } from './errors';

/**
 * The functions of native/addon.cc; see the scratch layout there. Every call
 * takes the socket number and the caller's scratch (a Float64Array of at
 * least `scratchLength` elements), reads its request from the scratch and
 * writes its result into it; the addon keeps no reference to it.
 */
export interface NativeBinding {
  /**
   * Takes the request from scratch[3..8] (mask, enabled, idleMs, intervalMs,
   * count, userTimeoutMs), checks the socket, applies the masked fields and
   * reads all back into scratch[3..8]. Returns the socket kind when not TCP.
   */
  apply(socket: number, scratch: Float64Array): string | undefined;
  /** Reads all settings into scratch[3..8]. */
  read(socket: number, scratch: Float64Array): string | undefined;
  /** Reads and clears SO_ERROR into scratch[3] (libuv errno, 0 for none). */
  socketError(socket: number, scratch: Float64Array): string | undefined;
  /** TCP_INFO: presence bits in scratch[3], values from scratch[4]. */
  tcpInfo(socket: number, scratch: Float64Array): string | undefined;
  /** Without consuming anything: scratch[3] = 1 if an error is pending, scratch[4] = readable bytes. */
  pending(socket: number, scratch: Float64Array): string | undefined;
  /** Windows only: the SOCKET whose local and remote endpoints match, or -1. */
  findSocket?(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): number;
  /** Bit set of the options this OS supports (TK_F_* of native/tcp_keepalive.h). */
  readonly supported: number;
  /** How many elements a scratch must have. */
  readonly scratchLength: number;
}

/** The package root: one level above this file (src/ or lib/). */
const packageRoot = path.resolve(__dirname, '..');

function load(): { binding: NativeBinding; file: string } {
  // Resolved lazily so importing the package never fails before the first use
  // would have; node-gyp-build honours PREBUILDS_ONLY=1 for prebuild tests.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require('node-gyp-build') as ((dir: string) => unknown) & { resolve(dir: string): string };
  try {
    const file = nodeGypBuild.resolve(packageRoot);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { binding: require(file) as NativeBinding, file };
  } catch (cause) {
    const abi = process.versions.napi ? `N-API ${process.versions.napi}` : `ABI ${process.versions.modules}`;
    const libc = process.platform === 'linux' ? ` libc=${isMusl() ? 'musl' : 'glibc'}` : '';
    const error = libraryError(
      'ERR_TCP_KEEPALIVE_BINDING',
      `tcp-keepalive: no usable native binary for platform=${process.platform} arch=${process.arch}${libc} ` +
        `(${abi}, Node ${process.versions.node}). Looked in ${path.join(packageRoot, 'prebuilds')} and ` +
        `${path.join(packageRoot, 'build', 'Release')}. Fix: build it from source with ` +
        `"npm rebuild tcp-keepalive" (needs python3, make and a C++ compiler: build-essential on Debian/Ubuntu, ` +
        `Xcode command line tools on macOS, Visual Studio Build Tools on Windows). ` +
        `Cause: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    (error as Error & { cause?: unknown }).cause = cause;
    throw error;
  }
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
