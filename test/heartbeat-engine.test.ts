// The heartbeat engine's timing logic on a clock the test controls: the
// shared table is swept by hand, so every assertion is exact (no wall-clock
// slack) and cannot be upset by a loaded machine.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Heartbeat } from '../src/heartbeat';
import { heartbeatWebSocket, type HeartbeatDeath } from '../src/entry/heartbeat';
import { table, useClock } from '../src/heartbeat/scheduler';

const TIMING = { idle: 100, interval: 50, count: 2, jitter: 0 }; // bound 200 ms

let now = 0;
let restore: () => void;
beforeEach(() => {
  now = 1000;
  restore = useClock(() => now);
});
afterEach(() => restore());

const poll = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Moves the clock forward 1 ms at a time, sweeping and letting deferred verdicts run at each step. */
async function advance(ms: number, each?: () => void): Promise<void> {
  for (let i = 0; i < ms; i++) {
    now += 1;
    each?.();
    table.sweep(now);
    await poll();
  }
}

function deaths(hb: Heartbeat): HeartbeatDeath[] {
  const seen: HeartbeatDeath[] = [];
  hb.on('dead', (d) => seen.push(d));
  return seen;
}

describe('Heartbeat engine (controlled clock)', () => {
  it('pings at idle, then every interval, and is declared dead exactly at the bound', async () => {
    const pings: Array<[number, number]> = [];
    const start = now;
    const hb = new Heartbeat({ sendPing: (seq, ts) => pings.push([seq, ts - start]) }, TIMING);
    const dead = deaths(hb);
    expect(hb.bound).toBe(200);
    await advance(99);
    expect(pings).toEqual([]);
    await advance(1);
    expect(pings).toEqual([[1, 100]]);
    await advance(49);
    expect(pings).toHaveLength(1);
    await advance(1);
    expect(pings).toEqual([[1, 100], [2, 150]]);
    await advance(49);
    expect(dead).toEqual([]);
    await advance(1);
    expect(dead).toEqual([expect.objectContaining({ silence: 200, bound: 200, unansweredPings: 2, lastSeq: 2 })]);
    expect(hb.dead).toBe(true);
  });

  it('measures RTT from the echoed timestamp with RFC 6298 weights, exactly', async () => {
    const sent: Array<[number, number]> = [];
    const hb = new Heartbeat({ sendPing: (seq, ts) => sent.push([seq, ts]) }, { idle: 100, interval: 100, count: 5, jitter: 0 });
    await advance(100);
    await advance(10);
    hb.pong(...(sent[0] as [number, number])); // 10 ms
    expect(hb.rtt).toEqual({ last: 10, smoothed: 10, variance: 5, samples: 1 });
    await advance(90); // the next PING: idle (100 ms) after the last send, the first PING
    expect(sent).toHaveLength(2);
    await advance(20);
    hb.pong(...(sent[1] as [number, number])); // 20 ms
    // var = 0.75 × 5 + 0.25 × |10 − 20| = 6.25; srtt = 0.875 × 10 + 0.125 × 20 = 11.25
    expect(hb.rtt).toEqual({ last: 20, smoothed: 11.25, variance: 6.25, samples: 2 });
    hb.stop();
  });

  it('any received byte is liveness; outgoing traffic never postpones the verdict', async () => {
    const rx = new Heartbeat({ sendPing: () => {} }, TIMING);
    const tx = new Heartbeat({ sendPing: () => {} }, TIMING);
    const rxDead = deaths(rx);
    const txDead = deaths(tx);
    let t = 0;
    await advance(600, () => {
      t++;
      if (t % 20 === 0) rx.received();
      tx.sentData(); // a dead connection we keep writing into
    });
    expect(rxDead).toEqual([]);
    expect(txDead).toEqual([expect.objectContaining({ silence: 200 })]);
    rx.stop();
  });

  it('a PONG for seq N acknowledges every PING <= N; duplicates, stale and unknown PONGs give no RTT sample', async () => {
    const sent: Array<[number, number]> = [];
    const hb = new Heartbeat({ sendPing: (seq, ts) => sent.push([seq, ts]) }, { idle: 20, interval: 20, count: 50, jitter: 0 });
    await advance(60);
    expect(sent.map(([seq]) => seq)).toEqual([1, 2, 3]);
    const [[s1, t1], [s2, t2], [s3, t3]] = sent as [[number, number], [number, number], [number, number]];
    hb.pong(9999, t3); // never sent: acknowledges nothing
    expect(hb.rtt.samples).toBe(0);
    hb.pong(s2, t2); // acknowledges 1 and 2
    expect(hb.rtt).toMatchObject({ samples: 1, last: 20 });
    hb.pong(s1, t1); // out of order: already acknowledged
    hb.pong(s2, t2); // duplicate
    expect(hb.rtt.samples).toBe(1);
    hb.pong(s3, t3);
    expect(hb.rtt).toMatchObject({ samples: 2, last: 0 });
    hb.stop();
  });

  it('a PONG arriving after the verdict cannot revive the connection or be reported twice', async () => {
    const sent: Array<[number, number]> = [];
    const hb = new Heartbeat({ sendPing: (seq, ts) => sent.push([seq, ts]) }, TIMING);
    const dead = deaths(hb);
    await advance(200);
    expect(dead).toHaveLength(1);
    hb.pong(...(sent[0] as [number, number]));
    hb.received();
    await advance(400);
    expect(hb.dead).toBe(true);
    expect(hb.rtt.samples).toBe(0);
    expect(dead).toHaveLength(1);
  });

  it('sendPings: false never pings but still judges (a reaper)', async () => {
    let pinged = false;
    const hb = new Heartbeat({ sendPing: () => (pinged = true) }, { ...TIMING, sendPings: false });
    const dead = deaths(hb);
    await advance(200);
    expect(dead).toHaveLength(1);
    expect(pinged).toBe(false);
  });

  it('a PING draining out of a full local buffer is not unanswered; once drained it gets one interval', async () => {
    let draining = true;
    const hb = new Heartbeat({ sendPing: () => {}, isDraining: () => draining }, TIMING);
    const dead = deaths(hb);
    await advance(400); // twice the bound, all of it "draining"
    expect(dead).toEqual([]);
    draining = false;
    await advance(49);
    expect(dead).toEqual([]);
    await advance(1);
    expect(dead).toHaveLength(1);
  });

  it('a ws whose ping() throws (not open) does not break the shared sweep: the others ping on, it dies at its bound', async () => {
    let terminated = 0;
    const ws = {
      ping: () => {
        throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
      },
      terminate: () => terminated++,
      on: () => ws,
      removeListener: () => ws,
    };
    const broken = heartbeatWebSocket(ws as never, TIMING);
    const pings: number[] = [];
    const healthy = new Heartbeat({ sendPing: (seq) => pings.push(seq) }, { ...TIMING, count: 100 });
    const dead = deaths(broken);
    await advance(200);
    expect(dead).toEqual([expect.objectContaining({ unansweredPings: 2 })]);
    expect(terminated).toBe(1);
    expect(pings).toEqual([1, 2, 3]); // at 100, 150 and 200: swept on schedule
    healthy.stop();
  });

  it('validates its options with Node-style errors', () => {
    const t = { sendPing: () => {} };
    expect(() => new Heartbeat(t, { idle: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Heartbeat(t, { interval: '5' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new Heartbeat(t, { count: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Heartbeat(t, { jitter: 0.9 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/<= 0.5/) }));
  });
});

describe('the shared table grows and shrinks with the connections', () => {
  const gc = ((): (() => void) => {
    // The columns are ArrayBuffers: freed memory shows only after a collection.
    require('node:v8').setFlagsFromString('--expose-gc');
    return require('node:vm').runInNewContext('gc') as () => void;
  })();
  const columns = (): number => {
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage().arrayBuffers;
  };

  it('100 000 heartbeats stopped give their column memory back', () => {
    const before = columns();
    const many = Array.from({ length: 100_000 }, () => new Heartbeat({ sendPing: () => {} }, TIMING));
    const grown = columns() - before;
    // ~63 bytes a row, and at most a quarter more rows than used.
    expect(grown).toBeGreaterThan(100_000 * 50);
    expect(grown).toBeLessThan(100_000 * 63 * 1.3);
    for (const hb of many) hb.stop();
    expect(columns() - before).toBeLessThan(64 * 1024);
  });

  it('rows removed by a callback during a sweep lose no booking of the rows still to come', async () => {
    const start = now;
    const pinged: Array<[row: number, at: number]> = [];
    const others = Array.from({ length: 300 }, (_, i) => new Heartbeat({ sendPing: () => pinged.push([i, now - start]) }, TIMING));
    // The last row (swept first) stops most of the others from its PING and
    // the table shrinks: the rows still to sweep must be booked in the
    // columns that stay, or they PING again at the next tick.
    const killer = new Heartbeat({ sendPing: () => others.slice(10).forEach((h) => h.stop()) }, TIMING);
    await advance(TIMING.idle + TIMING.interval);
    const expected = [...Array(10).keys()].flatMap((i) => [
      [i, TIMING.idle],
      [i, TIMING.idle + TIMING.interval],
    ]);
    expect(pinged.sort((a, b) => a[0] - b[0] || a[1] - b[1])).toEqual(expected);
    killer.stop();
    others.slice(0, 10).forEach((h) => h.stop());
  });
});
