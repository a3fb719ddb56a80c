// A socket destroyed while its watcher and heartbeat are active, at awkward
// moments: everything reports once and lets go of everything.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { type ChannelDeathReport, HeartbeatChannel } from '../../src/entry/heartbeat';
import { table } from '../../src/heartbeat/scheduler';
import { sampledCount as liveWatcherCount } from '../../src/death';
import { startChannelPeer } from '../helpers/harness';
import type { Actor } from '../helpers/harness';
import { sleep } from '../helpers/lab';

const HB = { idle: 100, interval: 100, count: 2, jitter: 0 }; // bound 300 ms
const KEEPALIVE = { idle: 1000, interval: 1000, count: 2 };

let peer: { actor: Actor; host: string; port: number };
const actors: Actor[] = [];
beforeAll(async () => {
  peer = await startChannelPeer(undefined, { echo: true, sendEveryMs: 20 });
  actors.push(peer.actor);
  return async () => {
    await Promise.all(actors.map((a) => a.stop()));
  };
});

const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

/** Listeners a socket has of its own (Node's), before anything is attached. */
let ownListeners = 0;

async function open(): Promise<{ socket: net.Socket; channel: HeartbeatChannel; deaths: ChannelDeathReport[]; messagesAfterDestroy: () => number }> {
  const socket = net.connect(peer.port, peer.host);
  sockets.push(socket);
  ownListeners = listeners(socket);
  socket.on('error', () => {});
  const channel = new HeartbeatChannel(socket, { heartbeat: HB, keepAlive: KEEPALIVE, sampleInterval: 10 });
  const deaths: ChannelDeathReport[] = [];
  channel.on('dead', (r) => deaths.push(r));
  let late = 0;
  channel.on('message', () => {
    if (socket.destroyed) late++;
  });
  await once(socket, 'connect');
  await once(channel, 'message'); // traffic flows, PINGs go out
  return { socket, channel, deaths, messagesAfterDestroy: () => late };
}

/** What a channel holds on its socket while it is open. */
function listeners(socket: net.Socket): number {
  return ['data', 'drain', 'close', 'end', 'error', 'connect'].reduce((n, e) => n + socket.listenerCount(e), 0);
}

describe.runIf(process.platform === 'linux')('a socket destroyed while watcher and heartbeat are active', () => {
  const baseline = { rows: 0, watchers: 0 };
  beforeAll(() => {
    baseline.rows = table.size;
    baseline.watchers = liveWatcherCount();
  });

  async function expectReleased(socket: net.Socket, deaths: ChannelDeathReport[], reason: string): Promise<void> {
    await sleep(3 * 300); // three heartbeat bounds, ninety sampler periods
    expect(deaths).toHaveLength(1);
    expect(deaths[0]?.reason).toBe(reason);
    expect(table.size).toBe(baseline.rows);
    expect(liveWatcherCount()).toBe(baseline.watchers);
    expect(socket.destroyed).toBe(true);
    // Only Node's own listeners and the test's 'error' listener are left.
    expect(listeners(socket)).toBe(ownListeners + 1);
  }

  it('destroy() while data flows both ways and PINGs are in flight', async () => {
    const { socket, deaths, messagesAfterDestroy } = await open();
    socket.destroy();
    await expectReleased(socket, deaths, 'local-destroy');
    expect(messagesAfterDestroy()).toBe(0);
  });

  it('destroy(error) with megabytes queued in the channel behind backpressure', async () => {
    const { socket, channel, deaths } = await open();
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < 64; i++) channel.send(big);
    expect(channel.queuedDataBytes).toBeGreaterThan(0);
    socket.destroy(Object.assign(new Error('application gave up'), { code: 'EAPP' }));
    await expectReleased(socket, deaths, 'local-destroy');
    expect(deaths[0]?.code).toBe('EAPP');
    expect(channel.queuedDataBytes).toBe(0);
    expect(channel.send('after')).toBe(false); // refused, not thrown
  });

  it('destroy() from inside a message handler: no message after it, even from the same chunk', async () => {
    const { socket, channel, deaths, messagesAfterDestroy } = await open();
    // Let many echoed frames pile up in the kernel, so one chunk holds them all.
    socket.pause();
    for (let i = 0; i < 50; i++) channel.send(`m${i}`);
    await sleep(100);
    let seen = 0;
    channel.on('message', () => {
      seen++;
    });
    channel.once('message', () => socket.destroy());
    socket.resume();
    await sleep(50);
    expect(seen).toBe(1);
    await expectReleased(socket, deaths, 'local-destroy');
    expect(messagesAfterDestroy()).toBe(0);
  });

  it('destroy() from inside the dead handler of a heartbeat death, and again later', async () => {
    const { socket, channel, deaths } = await open();
    channel.on('dead', () => socket.destroy());
    peer.actor.signal('SIGSTOP'); // the peer hangs: the heartbeat declares death
    try {
      const deadline = Date.now() + 5000;
      while (deaths.length === 0 && Date.now() < deadline) await sleep(10);
    } finally {
      peer.actor.signal('SIGCONT');
    }
    socket.destroy();
    await expectReleased(socket, deaths, 'heartbeat-timeout');
  });

  it('watcher.stop() and heartbeat.stop() before destroy: nothing is reported, nothing held', async () => {
    const { socket, channel, deaths } = await open();
    channel.watcher.stop();
    channel.heartbeat?.stop();
    socket.destroy();
    await sleep(900);
    expect(deaths).toHaveLength(0);
    expect(table.size).toBe(baseline.rows);
    expect(liveWatcherCount()).toBe(baseline.watchers);
  });
});
