// Which prebuilt binary a user gets: node-gyp-build's own overrides
// (npm_config_platform, npm_config_arch, LIBC) stand in for each platform,
// over the layout prebuild:all makes; an unsupported platform gets a clear
// message at install and falls back to building from source.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
// @ts-expect-error: a plain ES module of the build scripts, without types
import { TARGETS } from '../scripts/prebuild-targets.mjs';

interface Target {
  id: string;
  platform: string;
  arch: string;
  libc?: string;
  file: string;
}
const targets = TARGETS as Target[];
const root = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-resolve-'));

// A package with every target's file in place (their contents do not matter
// to the choice) and node-gyp-build beside it.
const pkg = path.join(work, 'package');
fs.mkdirSync(path.join(pkg, 'node_modules'), { recursive: true });
fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'tcp-keepalive' }));
for (const t of targets) {
  fs.mkdirSync(path.dirname(path.join(pkg, t.file)), { recursive: true });
  fs.writeFileSync(path.join(pkg, t.file), '');
}
fs.symlinkSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(pkg, 'node_modules', 'node-gyp-build'));

function resolveFor(platform: string, arch: string, libc?: string): { file?: string; error?: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_platform: platform, npm_config_arch: arch, PREBUILDS_ONLY: '1' };
  if (libc) env.LIBC = libc;
  else delete env.LIBC;
  const r = spawnSync(process.execPath, ['-e', "try { console.log(require('node-gyp-build').path(process.cwd())) } catch (e) { console.log('ERROR ' + e.message) }"], {
    cwd: pkg,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const said = r.stdout.trim();
  return said.startsWith('ERROR ') ? { error: said.slice(6) } : { file: path.relative(pkg, said) };
}

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('prebuilt binary resolution (node-gyp-build overrides)', () => {
  it.each(targets.map((t) => [t.id, t] as const))('%s picks its own file', (_id, t) => {
    expect(resolveFor(t.platform, t.arch, t.libc)).toEqual({ file: t.file });
  });

  it('every Linux file carries its libc tag, so musl never gets the glibc file', () => {
    for (const t of targets.filter((x) => x.platform === 'linux')) expect(t.file).toMatch(/\.(glibc|musl)\.node$/);
    expect(resolveFor('linux', 'x64', 'musl').file).toBe('prebuilds/linux-x64/tcp-keepalive.musl.node');
  });

  it.each([
    ['freebsd', 'x64'],
    ['linux', 'riscv64'],
    ['win32', 'ia32'],
  ])('%s-%s has no prebuild: node-gyp-build says so', (platform, arch) => {
    expect(resolveFor(platform, arch, platform === 'linux' ? 'glibc' : undefined).error).toMatch(new RegExp(`No native build was found for platform=${platform} arch=${arch}`));
  });

  it('at install, an unsupported platform is told what is missing and the package builds from source', () => {
    // The install script in a copy of the package, with no compiler on PATH:
    // the build from source is attempted (node-gyp runs) and fails, saying why.
    const copy = path.join(work, 'install');
    fs.cpSync(pkg, copy, { recursive: true, verbatimSymlinks: true });
    fs.mkdirSync(path.join(copy, 'scripts'));
    fs.copyFileSync(path.join(root, 'scripts', 'install.cjs'), path.join(copy, 'scripts', 'install.cjs'));
    fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(copy, 'binding.gyp'));
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, npm_config_platform: 'freebsd', npm_config_arch: 'x64' };
    delete env.npm_config_nodedir;
    const r = spawnSync(process.execPath, ['scripts/install.cjs'], { cwd: copy, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toContain('tcp-keepalive: no prebuilt binary for freebsd-x64 in this package (it carries: darwin-arm64, darwin-x64, linux-arm64 (glibc), linux-arm64 (musl), linux-x64 (glibc), linux-x64 (musl), win32-x64)');
    expect(r.stderr).toContain('building from source with node-gyp (needs python3, make and a C++ compiler)');
    expect(r.stderr).toMatch(/gyp (info|ERR!)/); // node-gyp itself ran
    expect(r.stderr).toContain('tcp-keepalive: building from source failed. Install python3, make and a C++ compiler');
    expect(r.status).not.toBe(0);
  });
});
