// The library never changes how an application fails: an unhandled socket
// error still crashes the process the way it does without the library, the
// library runs under --disallow-code-generation-from-strings, and an
// unexpected internal error is surfaced once instead of being swallowed.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { watch } from '../src/entry/main';
import { tcpPair } from './helpers/sockets';

// The library as an application loads it: both public entries.
const entries = path.resolve(__dirname, '..', 'lib', 'entry');
const requireLib = `Object.assign({}, require(${JSON.stringify(`${entries}/main.js`)}), require(${JSON.stringify(`${entries}/heartbeat.js`)}))`;

/** Runs a script that sets up a connection, uses the library as `use` says, and has the peer reset it while we write. */
function unhandledWriteError(use: string): { status: number | null; stderr: string } {
  const script = `
    const net = require('node:net');
    const t = ${requireLib};
    const server = net.createServer((s) => { s.on('error', () => {}); setTimeout(() => s.resetAndDestroy(), 50); });
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1', () => {
        ${use}
        // No 'error' listener of the application's own.
        const writer = setInterval(() => c.write(Buffer.alloc(1024)), 5);
        c.on('close', () => { clearInterval(writer); server.close(); });
      });
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr };
}

function errorCodeIn(stderr: string): string | undefined {
  return /code: '(E[A-Z]+)'/.exec(stderr)?.[1];
}

describe.runIf(process.platform === 'linux')('an application without an error handler fails as it would without the library', () => {
  const control = unhandledWriteError('');

  it('control: without the library the process dies of the unhandled error', () => {
    expect(control.status).toBe(1);
    expect(['ECONNRESET', 'EPIPE']).toContain(errorCodeIn(control.stderr));
  });

  it.each([
    ['watch()', 't.watch(c);'],
    ['watch() with keep-alive', 't.watch(c, { keepAlive: { idle: 1000, interval: 1000, count: 2, persist: true } });'],
    ['setKeepAlive with persist', "t.setKeepAlive(c, { idle: 1000, persist: true }); c.setKeepAlive(true, 5000);"],
    ['a HeartbeatChannel', 'new t.HeartbeatChannel(c, { heartbeat: false });'],
  ])('%s: same exit code, same error', (_name, use) => {
    const run = unhandledWriteError(use);
    expect(run.status).toBe(control.status);
    expect(['ECONNRESET', 'EPIPE']).toContain(errorCodeIn(run.stderr));
    expect(run.stderr).toMatch(/Unhandled 'error' event|Error: (write|read) E/);
  });
});

describe.runIf(process.platform === 'linux')('no code generation', () => {
  // `npm run test:no-codegen` runs the API tests with the flag in NODE_OPTIONS: prove it reached this worker.
  it.runIf(process.env.TCP_KEEPALIVE_NO_CODEGEN === '1')('this run has code generation disallowed', () => {
    expect(() => new Function('return 1')).toThrow(EvalError);
  });

  it('every socket call and a watcher work under --disallow-code-generation-from-strings', () => {
    const script = `
      const net = require('node:net');
      const t = ${requireLib};
      const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1', () => {
          const out = {};
          out.set = t.setKeepAlive(c, { idle: 2000, interval: 1000, count: 3, userTimeout: 'auto' });
          out.info = t.getTcpInfo(c).state;
          out.error = t.getSocketError(c);
          const w = t.watch(c, { sampleInterval: 10 });
          w.on('error', (e) => { out.watcherError = String(e); });
          setTimeout(() => {
            out.sampled = w.lastSample ? w.lastSample.info.state : null;
            console.log(JSON.stringify(out));
            c.destroy(); server.close();
          }, 100);
        });
      });`;
    const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      set: { enabled: true, idle: 2000, interval: 1000, count: 3, userTimeout: 5000 },
      info: 'ESTABLISHED',
      error: null,
      sampled: 'ESTABLISHED',
    });
  });
});

describe.runIf(process.platform === 'linux')('an unexpected internal error is surfaced once, never swallowed', () => {
  /** Makes the socket's descriptor lookup throw, as a bug of ours (or a broken Node internal) would. */
  function breakLookup(socket: net.Socket, error: Error): void {
    Object.defineProperty((socket as unknown as { _handle: object })._handle, 'fd', {
      configurable: true,
      get() {
        throw error;
      },
    });
  }

  // Paused before connect: a socket Node does not poll, which the sampler
  // looks at every period (a quiet one it reads would not be looked at for minutes).
  it("as the watcher's 'error' event when the application listens for it, once", async () => {
    const pair = await tcpPair({ pauseClient: true });
    const watcher = watch(pair.client, { sampleInterval: 10 });
    const errors: Error[] = [];
    watcher.on('error', (e) => errors.push(e));
    const boom = new Error('boom');
    breakLookup(pair.client, boom);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_TCP_KEEPALIVE_INTERNAL', cause: boom });
    await pair.close();
  });

  it('as one process warning when nobody listens', async () => {
    const pair = await tcpPair({ pauseClient: true });
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      watch(pair.client, { sampleInterval: 10 });
      breakLookup(pair.client, new Error('boom'));
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      process.removeListener('warning', onWarning);
    }
    const ours = warnings.filter((w) => (w as { code?: string }).code === 'ERR_TCP_KEEPALIVE_INTERNAL');
    expect(ours).toHaveLength(1);
    expect(ours[0]?.message).toMatch(/boom/);
    await pair.close();
  });
});
