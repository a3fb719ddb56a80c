// A real heartbeat server process under hostile peers, measured from the
// outside: its RSS and heap (process.memoryUsage in that process) while
// peers trickle partial frames byte by byte, or push complete frames as fast
// as loopback carries them. Memory must stay bounded by the frame limit per
// connection, whatever the number of chunks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import * as path from 'node:path';
import { Actor } from '../helpers/harness';
import { FrameType, encodeFrame, encodeHello } from '../../src/entry/protocol';
import { sleep } from '../helpers/time';

const lib = path.resolve(__dirname, '..', '..', 'lib', 'entry', 'heartbeat.js');
const MiB = 1024 * 1024;

// The server: the library's createHeartbeatServer with its defaults (1 MiB
// frames), a message handler that drops what it gets, and a 'memory' command.
const serverScript = `
  const t = require(${JSON.stringify(lib)});
  const { createInterface } = require('node:readline');
  const say = (type, f = {}) => process.stdout.write(JSON.stringify({ type, at: Date.now(), ...f }) + '\\n');
  let messages = 0, protocolErrors = 0;
  const server = t.createHeartbeatServer({ heartbeat: false, frameTimeout: 60000 }, (ch) => {
    ch.on('message', () => messages++);
    ch.on('protocolError', () => protocolErrors++);
  });
  server.on('clientError', () => {});
  server.listen(0, '127.0.0.1', () => say('listening', { port: server.address().port }));
  createInterface({ input: process.stdin }).on('line', () => {
    global.gc(); global.gc();
    const m = process.memoryUsage();
    say('memory', { rss: m.rss, heap: m.heapUsed + m.arrayBuffers, messages, protocolErrors });
  });`;

let server: Actor;
let port: number;

beforeAll(async () => {
  server = new Actor([process.execPath, '--expose-gc', '-e', serverScript], 'hostile-server');
  port = (await server.next('listening', 10_000)).port as number;
});
afterAll(() => server.stop());

async function memory(): Promise<{ rss: number; heap: number; messages: number; protocolErrors: number }> {
  return (await server.ask('memory', {}, 10_000)) as never;
}

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

describe.runIf(process.platform === 'linux')('a heartbeat server under hostile peers (its own RSS and heap)', () => {
  it('4 peers trickling 1 MiB frames one byte per segment for 6 s: memory bounded by the frames, not the segments', async () => {
    const before = await memory();
    const peers = await Promise.all([1, 2, 3, 4].map(connect));
    const header = Buffer.alloc(5);
    header.writeUInt32BE(MiB, 0);
    header[4] = FrameType.DATA;
    let sent = 0;
    let running = true;
    for (const p of peers) {
      p.setNoDelay(true);
      p.write(Buffer.concat([encodeHello(), header]));
      const one = Buffer.from('x');
      const loop = (): void => {
        if (!running || p.destroyed) return;
        // Keep each byte its own segment: write only when the last one left.
        p.write(one, () => {
          sent++;
          setImmediate(loop);
        });
      };
      loop();
    }
    await sleep(6000);
    running = false;
    const after = await memory();
    for (const p of peers) p.destroy();
    const rssGrowth = after.rss - before.rss;
    const heapGrowth = after.heap - before.heap;
    console.info(`[hostile] slow peers: ${sent} one-byte segments; server RSS +${(rssGrowth / MiB).toFixed(1)} MiB, heap+buffers +${(heapGrowth / MiB).toFixed(1)} MiB`);
    expect(sent).toBeGreaterThan(20_000);
    // Four partial frames of at most 1 MiB each, plus allocator slack.
    expect(heapGrowth).toBeLessThan(8 * MiB);
    expect(rssGrowth).toBeLessThan(32 * MiB);
    expect(after.protocolErrors).toBe(before.protocolErrors);
  });

  it('4 peers pushing complete 1 MiB frames as fast as they can: after warm-up, RSS and heap stop growing', async () => {
    // Freed 1 MiB frames stay in the allocator until it trims: RSS rises to a
    // plateau at first whatever the decoder does. Bounded means no growth after it.
    const peers = await Promise.all([1, 2, 3, 4].map(connect));
    const frame = encodeFrame(FrameType.DATA, Buffer.alloc(MiB - 1, 0x62));
    let running = true;
    for (const p of peers) {
      p.write(encodeHello());
      const pump = (): void => {
        while (running && !p.destroyed && p.write(frame));
        if (running && !p.destroyed) p.once('drain', pump);
      };
      pump();
    }
    await sleep(3000);
    const warm = await memory();
    await sleep(6000);
    running = false;
    const after = await memory();
    for (const p of peers) p.destroy();
    const rssGrowth = after.rss - warm.rss;
    const heapGrowth = after.heap - warm.heap;
    const frames = after.messages - warm.messages;
    console.info(
      `[hostile] fast peers: ${frames} frames of 1 MiB in 6 s after a 3 s warm-up (RSS ${(warm.rss / MiB).toFixed(0)} MiB then); ` +
        `server RSS ${rssGrowth >= 0 ? '+' : ''}${(rssGrowth / MiB).toFixed(1)} MiB, heap+buffers ${heapGrowth >= 0 ? '+' : ''}${(heapGrowth / MiB).toFixed(1)} MiB`,
    );
    expect(frames).toBeGreaterThan(100);
    expect(heapGrowth).toBeLessThan(8 * MiB);
    expect(rssGrowth).toBeLessThan(32 * MiB);
  });
});
