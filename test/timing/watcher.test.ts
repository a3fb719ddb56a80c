// watch() on loopback: each way a connection ends is reported once, the
// watcher releases everything and never keeps the process alive.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { setKeepAlive, watch, type DeathReport, type Watcher } from '../../src/entry/main';
import { tcpPair } from '../helpers/sockets';

const linux = process.platform === 'linux';

/** Resolves on 'close' (events.once would reject on 'error'). */
function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function deaths(watcher: Watcher): DeathReport[] {
  const seen: DeathReport[] = [];
  watcher.on('dead', (r) => seen.push(r));
  return seen;
}

describe.runIf(linux)('watch() on loopback', () => {
  it('peer closes (FIN) → peer-closed, detected by the peer, once', async () => {
    const pair = await tcpPair();
    const watcher = watch(pair.client, { keepAlive: { idle: 5000, interval: 1000, count: 3 } });
    const seen = deaths(watcher);
    pair.client.resume();
    pair.accepted.end();
    await once(pair.client, 'close');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ reason: 'peer-closed', detectedBy: 'peer', via: 'event', keepAlive: { idle: 5000, count: 3 } });
    expect(seen[0]?.tcpInfo?.state).toBe('ESTABLISHED');
    await pair.close();
  });

  it('peer resets (RST) → connection-reset with ECONNRESET', async () => {
    const pair = await tcpPair();
    const watcher = watch(pair.client);
    const seen = deaths(watcher);
    pair.client.on('error', () => {});
    const done = closed(pair.client);
    pair.accepted.resetAndDestroy();
    await done;
    expect(seen).toEqual([expect.objectContaining({ reason: 'connection-reset', code: 'ECONNRESET', errno: -104, detectedBy: 'peer' })]);
    await pair.close();
  });

  it('local destroy → local-destroy; stop() releases listeners and the shared timer', async () => {
    const pair = await tcpPair();
    const before = ['end', 'error', 'close', 'connect'].map((e) => pair.client.listenerCount(e));
    const original = pair.client.setKeepAlive;
    const watcher = watch(pair.client, { sampleInterval: 50 });
    const seen = deaths(watcher);
    pair.client.destroy();
    await once(pair.client, 'close');
    expect(seen).toEqual([expect.objectContaining({ reason: 'local-destroy', detectedBy: 'local' })]);
    expect(['end', 'error', 'close', 'connect'].map((e) => pair.client.listenerCount(e))).toEqual(before);
    expect(pair.client.setKeepAlive).toBe(original);

    const other = await tcpPair();
    const w2 = watch(other.client);
    const seen2 = deaths(w2);
    w2.stop();
    other.accepted.end();
    other.client.resume();
    await once(other.client, 'close');
    expect(seen2).toEqual([]);
    await Promise.all([pair.close(), other.close()]);
  });

  it("reports Node's own setKeepAlive overwriting interval and count", async () => {
    const pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 5000, interval: 3000, count: 4 });
    const watcher = watch(pair.client);
    const overwritten = once(watcher, 'keepAliveOverwritten');
    pair.client.setKeepAlive(true, 7000);
    const [check] = await overwritten;
    expect(check).toMatchObject({ intact: false, changed: ['idle', 'interval', 'count'], actual: { interval: 1000, count: 10 } });
    watcher.stop();
    await pair.close();
  });

  it('notices a socket paused before connect (never polled by libuv) whose connection the kernel dropped', async () => {
    // The kernel's abort below sends the server side an RST.
    const server = net.createServer((accepted) => accepted.on('error', () => {}));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new net.Socket();
    client.pause(); // paused before connect: Node never starts reading it
    client.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    const watcher = watch(client, { sampleInterval: 50 });
    const seen = deaths(watcher);
    const errors: NodeJS.ErrnoException[] = [];
    client.on('error', (e) => errors.push(e));
    // Without the watcher Node would report nothing: give it time to show that.
    watcher.stop();
    execFileSync('ss', ['-K', 'sport', '=', String(client.localPort)]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.destroyed).toBe(false);
    expect(errors).toEqual([]);
    // A new watcher finds the dead connection at its first sample.
    const seenNow = deaths(watch(client, { sampleInterval: 50 }));
    await closed(client);
    expect(seen).toEqual([]);
    server.close();
    expect(seenNow).toEqual([expect.objectContaining({ reason: 'connection-reset', code: 'ECONNABORTED', detectedBy: 'peer', via: 'sampler' })]);
    // The watcher destroyed the socket with the error Node would have reported.
    expect(errors.map((e) => [e.code, e.syscall])).toEqual([['ECONNABORTED', 'read']]);
  });

  it('validates its options', async () => {
    const pair = await tcpPair();
    expect(() => watch({} as net.Socket)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => watch(pair.client, { sampleInterval: 1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => watch(pair.client, { keepAlive: { count: 0 } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await pair.close();
  });

  it('never keeps the process alive', () => {
    const lib = path.resolve(__dirname, '..', '..', 'lib', 'entry', 'main.js');
    const script = `
      const net = require('node:net');
      const { watch } = require(${JSON.stringify(lib)});
      const server = net.createServer((s) => s.unref()).listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1', () => {
          watch(c, { sampleInterval: 20 });
          c.unref(); server.unref();
        });
      });`;
    const started = Date.now();
    execFileSync(process.execPath, ['-e', script], { timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
