'use strict';
// npm's install step for tcp-keepalive. A binary that fits this platform
// (prebuilds/, or an earlier build/) and loads is used as it is. Where none
// fits, or the one that fits does not load, say so and what the package
// carries, then build from source with node-gyp, through node-gyp-build's
// own fallback; a build that fails says what it needs.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const load = require('node-gyp-build');

const root = path.join(__dirname, '..');
// The platform as node-gyp-build sees it, its overrides included.
const platform = process.env.npm_config_platform || process.platform;
const libc = platform === 'linux' ? ` (${process.env.LIBC || (fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc')})` : '';
const here = `${platform}-${process.env.npm_config_arch || process.arch}${libc}`;

function carried() {
  const dir = path.join(root, 'prebuilds');
  const found = fs.existsSync(dir)
    ? fs.readdirSync(dir).flatMap((p) => fs.readdirSync(path.join(dir, p)).map((f) => `${p}${/\.(glibc|musl)\.node$/.test(f) ? ` (${f.split('.').slice(-2, -1)[0]})` : ''}`))
    : [];
  return found.length ? found.join(', ') : 'none';
}

let why;
if (!/^(1|true)$/.test(process.env.npm_config_build_from_source || '')) {
  try {
    require(load.path(root));
    process.exit(0);
  } catch (error) {
    why = /No native build was found/.test(error.message)
      ? `no prebuilt binary for ${here} in this package (it carries: ${carried()})`
      : `the binary for ${here} did not load (${error.message.split('\n')[0]})`;
  }
} else {
  why = 'asked to build from source';
}
console.error(`tcp-keepalive: ${why}; building from source with node-gyp (needs python3, make and a C++ compiler).`);
const built = spawnSync(process.execPath, [require.resolve('node-gyp-build/bin.js')], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, npm_config_build_from_source: 'true' },
});
if (built.status !== 0) {
  console.error(
    `tcp-keepalive: building from source failed. Install python3, make and a C++ compiler (Debian/Ubuntu: apt install python3 make g++; Alpine: apk add python3 make g++; macOS: xcode-select --install) and run npm rebuild tcp-keepalive, or use a platform with a prebuilt binary: ${carried()}.`,
  );
  process.exit(built.status ?? 1);
}
