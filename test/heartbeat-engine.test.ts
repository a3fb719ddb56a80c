// The heartbeat engine with a transport of our own (no OS involved): when
// it pings, when it declares death, and which PONGs count.
import { describe, expect, it } from 'vitest';
import { Heartbeat, heartbeatWebSocket, type HeartbeatDeath } from '../src/index';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const TIMING = { idle: 100, interval: 50, probes: 2, jitter: 0 }; // bound 200 ms, tick 12.5 ms

function deathOf(hb: Heartbeat): Promise<HeartbeatDeath> {
  return new Promise((resolve) => hb.once('dead', resolve));
}

describe('Heartbeat engine', () => {
  it('pings after idle, then every interval, and declares death at the bound + one tick', async () => {
    const pings: Array<[number, number]> = [];
    const started = performance.now();
    const hb = new Heartbeat({ sendPing: (seq) => pings.push([seq, performance.now() - started]) }, TIMING);
    const death = await deathOf(hb);
    const elapsed = performance.now() - started;
    expect(hb.boundMs).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThanOrEqual(200 + 2 * 12.5 + 30);
    expect(pings.map(([seq]) => seq)).toEqual([1, 2]);
    expect(pings[0]![1]).toBeGreaterThanOrEqual(100);
    expect(pings[1]![1] - pings[0]![1]).toBeGreaterThanOrEqual(45);
    expect(death).toMatchObject({ boundMs: 200, unansweredPings: 2, lastSeq: 2 });
    expect(death.silentMs).toBeGreaterThanOrEqual(200);
  });

  it('stays alive while PONGs come back, and measures RTT from the echoed timestamp', async () => {
    let hb!: Heartbeat;
    hb = new Heartbeat({ sendPing: (seq, ts) => setTimeout(() => hb.pong(seq, ts), 5) }, TIMING);
    let dead = false;
    hb.on('dead', () => (dead = true));
    await sleep(700);
    expect(dead).toBe(false);
    const rtt = hb.rtt;
    expect(rtt.samples).toBeGreaterThanOrEqual(3);
    expect(rtt.smoothedMs).toBeGreaterThanOrEqual(4);
    expect(rtt.smoothedMs).toBeLessThan(50);
    expect(rtt.varianceMs).toBeGreaterThanOrEqual(0);
    hb.stop();
  });

  it('any received byte is liveness; outgoing traffic never postpones the verdict', async () => {
    const rx = new Heartbeat({ sendPing: () => {} }, TIMING);
    const feeding = setInterval(() => rx.received(), 20);
    const tx = new Heartbeat({ sendPing: () => {} }, TIMING);
    const writing = setInterval(() => tx.sentData(), 10); // a dead connection we keep writing into
    const started = performance.now();
    const death = await deathOf(tx);
    expect(performance.now() - started).toBeLessThanOrEqual(200 + 60);
    expect(death.unansweredPings).toBeGreaterThanOrEqual(1);
    expect(rx.dead).toBe(false);
    clearInterval(feeding);
    clearInterval(writing);
    rx.stop();
  });

  it('a PONG for seq N acknowledges every PING ≤ N; duplicates and stale PONGs give no RTT sample', async () => {
    const sent: Array<[number, number]> = [];
    const hb = new Heartbeat({ sendPing: (seq, ts) => sent.push([seq, ts]) }, { idle: 20, interval: 20, probes: 50, jitter: 0 });
    while (sent.length < 3) await sleep(10);
    const [[s1, t1], [s2, t2], [s3, t3]] = sent as [[number, number], [number, number], [number, number]];
    hb.pong(s2, t2); // acknowledges 1 and 2
    expect(hb.rtt.samples).toBe(1);
    hb.pong(s1, t1); // out of order: already acknowledged
    hb.pong(s2, t2); // duplicate
    expect(hb.rtt.samples).toBe(1);
    hb.pong(s3, t3);
    expect(hb.rtt.samples).toBe(2);
    hb.pong(9999, t3); // never sent: ignored for RTT and acknowledgement
    expect(hb.rtt.samples).toBe(2);
    hb.stop();
  });

  it('a late PONG cannot revive a connection already declared dead', async () => {
    const sent: Array<[number, number]> = [];
    const hb = new Heartbeat({ sendPing: (seq, ts) => sent.push([seq, ts]) }, TIMING);
    await deathOf(hb);
    const [seq, ts] = sent[0]!;
    hb.pong(seq, ts);
    hb.received();
    expect(hb.dead).toBe(true);
    expect(hb.rtt.samples).toBe(0);
  });

  it('sendPings: false never pings but still judges (a reaper)', async () => {
    let pinged = false;
    const hb = new Heartbeat({ sendPing: () => (pinged = true) }, { ...TIMING, sendPings: false });
    await deathOf(hb);
    expect(pinged).toBe(false);
  });

  it('a PING draining out of a full local buffer is not unanswered', async () => {
    let draining = true;
    const hb = new Heartbeat({ sendPing: () => {}, isDraining: () => draining }, TIMING);
    let dead = false;
    hb.on('dead', () => (dead = true));
    await sleep(400); // twice the bound, all of it "draining"
    expect(dead).toBe(false);
    draining = false;
    const started = performance.now();
    await deathOf(hb);
    // Once drained, the PING gets one interval to be answered.
    expect(performance.now() - started).toBeLessThanOrEqual(TIMING.interval + 40);
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
    const healthy = new Heartbeat({ sendPing: (seq) => pings.push(seq) }, TIMING);
    const death = await deathOf(broken);
    expect(death.unansweredPings).toBe(2);
    expect(terminated).toBe(1);
    expect(pings.length).toBeGreaterThanOrEqual(2); // the other row was swept on schedule
    healthy.stop();
  });

  it('validates its options with Node-style errors', () => {
    const t = { sendPing: () => {} };
    expect(() => new Heartbeat(t, { idle: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Heartbeat(t, { interval: '5' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new Heartbeat(t, { probes: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Heartbeat(t, { jitter: 0.9 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/<= 0.5/) }));
  });
});
