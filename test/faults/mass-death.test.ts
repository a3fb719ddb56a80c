// 10 000 watched connections with heartbeat and keep-alive; half of the peers
// die at once (first a hang, then a crash): every death is reported exactly
// once, the living half is untouched, no exception escapes, and everything
// is released afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { type ChannelDeathReport, HeartbeatChannel } from '../../src/entry/heartbeat';
import { table } from '../../src/heartbeat/scheduler';
import { sampledCount as liveWatcherCount } from '../../src/death';
import { startChannelPeer } from '../helpers/harness';
import type { Actor } from '../helpers/harness';
import { sleep } from '../helpers/lab';

const PER_PEER = 5000;
const HB = { idle: 1000, interval: 500, count: 2, jitter: 0.1 }; // bound 2 s
const BOUND = 2000;
const KEEPALIVE = { idle: 5000, interval: 1000, count: 3 };

interface Conn {
  socket: net.Socket;
  channel: HeartbeatChannel;
  peer: 'hang' | 'crash';
  deaths: Array<{ at: number; report: ChannelDeathReport }>;
}

/**
 * Each connection needs a descriptor here (the peers hold theirs in their
 * own processes): make room, raising the soft limit up to the hard one (or
 * beyond it where the sandbox lets root), else say clearly what is missing.
 */
function ensureDescriptorLimit(wanted: number): void {
  const read = (): number[] =>
    execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output', 'SOFT,HARD', '--noheadings'])
      .toString()
      .trim()
      .split(/\s+/)
      .map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  const [soft = 0, hard = 0] = read();
  if (soft >= wanted) return;
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${Math.max(hard, wanted)}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`this test opens ${wanted} descriptors but the limit is ${soft} (hard ${hard}) and cannot be raised: run it under 'ulimit -n ${wanted}'`);
  }
}

async function connectAll(port: number, n: number, peer: Conn['peer'], into: Conn[]): Promise<void> {
  const BATCH = 250; // under the listen backlog
  for (let done = 0; done < n; done += BATCH) {
    const batch: Array<Promise<unknown>> = [];
    for (let i = done; i < Math.min(n, done + BATCH); i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {}); // the channel reports every death through 'dead'
      const channel = new HeartbeatChannel(socket, { heartbeat: HB, keepAlive: KEEPALIVE, sampleInterval: 1000 });
      const conn: Conn = { socket, channel, peer, deaths: [] };
      channel.on('dead', (report) => conn.deaths.push({ at: Date.now(), report }));
      into.push(conn);
      batch.push(once(socket, 'connect'));
    }
    await Promise.all(batch);
  }
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

describe.runIf(process.platform === 'linux')('10 000 watched connections, half the peers die at once', () => {
  const conns: Conn[] = [];
  const actors: Actor[] = [];
  let hangPeer: Actor;
  let crashPeer: Actor;
  const baseline = { rows: 0, watchers: 0 };

  beforeAll(async () => {
    ensureDescriptorLimit(2 * PER_PEER + 1000);
    baseline.rows = table.size;
    baseline.watchers = liveWatcherCount();
    const a = await startChannelPeer(undefined, {});
    const b = await startChannelPeer(undefined, {});
    hangPeer = a.actor;
    crashPeer = b.actor;
    actors.push(hangPeer, crashPeer);
    await connectAll(a.port, PER_PEER, 'hang', conns);
    await connectAll(b.port, PER_PEER, 'crash', conns);
  }, 120_000);

  afterAll(async () => {
    for (const c of conns) c.socket.destroy();
    hangPeer?.signal('SIGCONT');
    await Promise.all(actors.map((a) => a.stop()));
  });

  it('steady state: 10 000 connections heartbeat for two bounds without a death', async () => {
    expect(conns).toHaveLength(2 * PER_PEER);
    await sleep(2 * BOUND);
    expect(conns.filter((c) => c.deaths.length > 0)).toHaveLength(0);
    expect(conns.filter((c) => (c.channel.rtt?.samples ?? 0) > 0).length).toBe(2 * PER_PEER);
  });

  it('5 000 peers hang at once: each is declared dead once by the heartbeat; the other 5 000 live', async () => {
    const t0 = Date.now();
    hangPeer.signal('SIGSTOP');
    const hung = conns.filter((c) => c.peer === 'hang');
    const all = await until(() => hung.every((c) => c.deaths.length > 0), 4 * BOUND);
    const times = hung.filter((c) => c.deaths[0]).map((c) => (c.deaths[0] as { at: number }).at - t0);
    console.log(
      `[faults] ${times.length}/${PER_PEER} hung peers declared dead, ${Math.min(...times)}–${Math.max(...times)} ms after SIGSTOP (bound ${BOUND} ms)`,
    );
    expect(all).toBe(true);
    await sleep(BOUND);
    for (const c of hung) {
      expect(c.deaths).toHaveLength(1);
      expect(c.deaths[0]?.report.reason).toBe('heartbeat-timeout');
    }
    expect(Math.max(...times)).toBeLessThan(BOUND + 1500);
    expect(conns.filter((c) => c.peer === 'crash' && c.deaths.length > 0)).toHaveLength(0);
  });

  it('the other 5 000 peers crash at once (SIGKILL): each death reported once, nothing else', async () => {
    const t0 = Date.now();
    crashPeer.signal('SIGKILL');
    const crashed = conns.filter((c) => c.peer === 'crash');
    const all = await until(() => crashed.every((c) => c.deaths.length > 0), 10_000);
    const times = crashed.filter((c) => c.deaths[0]).map((c) => (c.deaths[0] as { at: number }).at - t0);
    console.log(`[faults] ${times.length}/${PER_PEER} crashed peers reported, ${Math.min(...times)}–${Math.max(...times)} ms after SIGKILL`);
    expect(all).toBe(true);
    hangPeer.signal('SIGKILL'); // its connections are gone on our side already
    await sleep(BOUND);
    for (const c of crashed) {
      expect(c.deaths).toHaveLength(1);
      expect(c.deaths[0]?.report.reason).toMatch(/^(peer-closed|connection-reset)$/);
    }
    // Exactly one report per connection in all, 10 000.
    expect(conns.reduce((n, c) => n + c.deaths.length, 0)).toBe(2 * PER_PEER);
  });

  it('everything is released: no heartbeat row, no watcher, no socket left', async () => {
    await until(() => conns.every((c) => c.socket.destroyed), 5000);
    expect(conns.filter((c) => !c.socket.destroyed)).toHaveLength(0);
    expect(table.size).toBe(baseline.rows);
    expect(liveWatcherCount()).toBe(baseline.watchers);
  });
});
