// The published package: `npm pack`, a stripped N-API prebuild made with
// `npm run prebuild`, installed where no compiler is reachable, loads from
// the prebuild, from both require and import. And a missing binary is a
// clear error, not a silent fallback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-pack-'));
// `npm test` sets npm_execpath; run directly, npm sits beside node.
const npmCli =
  process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)
    ? process.env.npm_execpath
    : path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(process.execPath, [npmCli, ...args], { cwd, env, encoding: 'utf8', timeout: 240_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function pack(cwd: string, extra: string[] = []): string {
  const out = npm(['pack', '--json', '--pack-destination', work, ...extra], cwd);
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return path.join(work, info!.filename);
}

/** A bin folder with only node, npm and sh (npm runs scripts with it): no cc, c++, make or python3. */
function noCompilerPath(): string {
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
  for (const tool of ['cc', 'gcc', 'c++', 'g++', 'make', 'python3', 'clang']) {
    expect(fs.existsSync(path.join(bin, tool))).toBe(false);
  }
  return bin;
}

describe.runIf(process.platform === 'linux')('the packed package', { timeout: 300_000 }, () => {
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    // 1. The package as `npm pack` makes it (prepare compiles TypeScript).
    const sourceTgz = pack(root);
    files = execFileSync('tar', ['-tzf', sourceTgz], { encoding: 'utf8' }).split('\n').filter(Boolean);
    // 2. Unpacked elsewhere, `npm run prebuild` adds the stripped prebuild
    //    (kept away from the work tree, whose build/ other tests load).
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', sourceTgz, '-C', unpacked, '--strip-components=1']);
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(unpacked, 'node_modules'));
    npm(['run', 'prebuild'], unpacked);
    tarball = pack(unpacked, ['--ignore-scripts']);
  });

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('ships exactly these groups of files, each for a reason (npm pack)', () => {
    const inPackage = files.map((f) => f.replace(/^package\//, ''));
    // [group, why it ships, which files, present in every pack]
    const groups: Array<[string, string, RegExp, boolean?]> = [
      ['the manifest, README, licence', 'what npm and users read', /^(package\.json|README\.md|LICENSE)$/],
      ['docs/*.md', 'the API reference and the documents the README links to', /^docs\/[\w-]+\.md$/],
      ['binding.gyp, native/*.cc, native/*.h, native/exports.map', 'the compile fallback where no prebuild matches', /^(binding\.gyp|native\/\w+\.(cc|h|map))$/],
      ['scripts/install.cjs', "npm's install step: the prebuild that fits, else a message and the compile fallback", /^scripts\/install\.cjs$/],
      ['lib/entry/*', 'the public entries: ".", "./heartbeat", "./protocol", "./register", in CommonJS and ESM with types', /^lib\/entry\/\w+\.(js|mjs|d\.ts|d\.mts)$/],
      ['lib/{common,metrics,native,socket,death,policy,heartbeat}/*', 'the library the entries load', /^lib\/(common|metrics|native|socket|death|policy|heartbeat)\/[\w-]+\.(js|d\.ts)$/],
      ['lib/{lab,cli}/**', 'the tcp-keepalive command (compare, probe): loaded only when the command runs', /^lib\/(lab|cli)\/([\w-]+\/)?[\w-]+\.(js|d\.ts)$/],
      ['prebuilds/PLATFORM-ARCH/*.node', 'binaries that install without a compiler (made by the prebuild scripts)', /^prebuilds\/[\w-]+\/tcp-keepalive(\.(glibc|musl))?\.node$/, false],
    ];
    const unexplained = inPackage.filter((f) => !groups.some(([, , re]) => re.test(f)));
    expect(unexplained).toEqual([]);
    for (const [group, , re, always = true] of groups) if (always) expect(inPackage.filter((f) => re.test(f)).length, group).toBeGreaterThan(0);
    for (const needed of ['native/addon.cc', 'native/tcp_keepalive.h', 'native/platform_linux.cc', 'native/platform_win.cc', 'native/exports.map', 'scripts/install.cjs', 'lib/entry/main.js', 'lib/entry/main.mjs',
      'lib/entry/heartbeat.d.mts', 'lib/entry/protocol.d.ts', 'lib/entry/register.mjs', 'lib/cli/main.js', 'LICENSE']) {
      expect(inPackage).toContain(needed);
    }
  });

  it('installs with no compiler on PATH and loads the stripped prebuild (require and import)', () => {
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}');
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: noCompilerPath() };
    delete env.npm_config_nodedir;
    npm(['install', '--no-audit', '--no-fund', tarball], app, env);

    const prebuild = path.join(app, 'node_modules', 'tcp-keepalive', 'prebuilds', `linux-${process.arch}`);
    const [binary] = fs.readdirSync(prebuild);
    expect(binary).toMatch(/^tcp-keepalive\.glibc\.node$/);
    expect(execFileSync('file', [path.join(prebuild, binary!)], { encoding: 'utf8' })).toMatch(/stripped/);
    expect(fs.existsSync(path.join(app, 'node_modules', 'tcp-keepalive', 'build'))).toBe(false);

    const check = `
      const net = require('node:net');
      const t = require('tcp-keepalive');
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1', () => {
          const s = t.setKeepAlive(c, { idle: 2000, interval: 1000, count: 3 });
          console.log(JSON.stringify({ path: require(require.resolve('tcp-keepalive').replace(/entry.main\.js$/, 'native')).bindingPath(), s }));
          c.destroy(); server.close();
        });
      });`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', check], { cwd: app, env, encoding: 'utf8' })) as {
      path: string;
      s: unknown;
    };
    expect(out.path).toContain(path.join('prebuilds', `linux-${process.arch}`));
    expect(out.s).toMatchObject({ enabled: true, idle: 2000, interval: 1000, count: 3 });

    const esm = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "import { setKeepAlive } from 'tcp-keepalive'; import { createHeartbeat } from 'tcp-keepalive/heartbeat'; import { FrameDecoder } from 'tcp-keepalive/protocol'; console.log(typeof setKeepAlive, typeof createHeartbeat, typeof FrameDecoder);"],
      { cwd: app, env, encoding: 'utf8' },
    );
    expect(esm.trim()).toBe('function function function');

    // The zero-code-change form, as a user writes it.
    const registered = `
      const net = require('node:net');
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1', () => {
          console.log(JSON.stringify(require('tcp-keepalive').getKeepAlive(c)));
          c.destroy(); server.close();
        });
      });`;
    for (const flag of ['--import', '--require']) {
      const seen = execFileSync(process.execPath, [flag, 'tcp-keepalive/register', '-e', registered], {
        cwd: app,
        env: { ...env, TCP_KEEPALIVE: 'idle=3s,interval=1s,count=2' },
        encoding: 'utf8',
      });
      expect(JSON.parse(seen)).toMatchObject({ enabled: true, idle: 3000, interval: 1000, count: 2 });
    }
  });

  it('without any binary, the error names what was looked for and how to fix it', () => {
    const bare = path.join(work, 'bare');
    fs.mkdirSync(path.join(bare, 'node_modules'), { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', bare]);
    fs.rmSync(path.join(bare, 'package', 'prebuilds'), { recursive: true, force: true });
    fs.symlinkSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(bare, 'node_modules', 'node-gyp-build'));
    const script = `
      const t = require('./package/lib/entry/main.js');
      try { t.getKeepAlive(0); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: bare, encoding: 'utf8' })) as { code: string; message: string };
    expect(out.code).toBe('ERR_TCP_KEEPALIVE_BINDING');
    expect(out.message).toContain(`platform=linux arch=${process.arch}`);
    expect(out.message).toMatch(/N-API \d+/);
    expect(out.message).toContain('npm rebuild tcp-keepalive');
    expect(out.message).toContain('C++ compiler');
  });
});
