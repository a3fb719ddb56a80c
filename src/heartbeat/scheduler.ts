/**
 * One shared, unref'd sweep for every heartbeat of the process (per thread):
 * no Timeout object per connection. The per-connection state lives in
 * typed-array columns, one row per connection, so the sweep walks memory
 * sequentially and a connection's handle stays small; touching a connection
 * sets a bit in its row (O(1), allocation-free).
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';
import { SharedTimer } from '../common';
import { observe } from '../metrics';

/** Smoothed round-trip time from PONG echoes (RFC 6298 weights), ms. */
export interface RttEstimate {
  /** Last sample, ms; NaN before the first PONG. */
  last: number;
  /** Smoothed RTT, ms; NaN before the first PONG. */
  smoothed: number;
  /** RTT variation, ms; NaN before the first PONG. */
  variance: number;
  /** PONGs that produced a sample. */
  samples: number;
}

/** Bits of the `flags` column. */
export const RX = 1; // something was received since the last sweep
export const TX = 2; // something was sent since the last sweep
export const SEND_PINGS = 4; // this connection pings (else it only judges)
export const VERDICT_PENDING = 8; // a verdict waits for the next I/O poll

/** What a row calls back into when something has to happen. */
export interface RowOwner {
  /** @internal */
  row: number;
  /** @internal the sweep has booked a PING (row updated); send it */
  ping(now: number): void;
  /** @internal nothing received for the bound */
  verdictDue(now: number): void;
}

const MIN_TICK_MS = 5;
// Columns start small and grow by a quarter: a small server pays for few
// rows, a large one for at most a quarter more than it uses; they shrink
// again when three quarters stand empty.
const INITIAL_ROWS = 64;
const GROWTH = 1.25;
const MAX_TICK_MS = 1000;
const epoch = performance.now();
const realClock = (): number => performance.now() - epoch;
let source = realClock;

/** The scheduler's clock: ms since this module loaded (monotonic). */
export function clock(): number {
  return source();
}

/**
 * @internal Replaces the clock (tests of the pure timing logic drive
 * {@link HeartbeatTable.sweep} by hand on a clock they control); returns the
 * function that puts the real clock back.
 */
export function useClock(fake: () => number): () => void {
  source = fake;
  return () => {
    source = realClock;
  };
}

/** The columns. Times in ms on {@link clock}. */
export class HeartbeatTable {
  size = 0;
  owners: Array<RowOwner | undefined> = [];
  flags = new Uint8Array(INITIAL_ROWS);
  pings = new Uint16Array(INITIAL_ROWS); // PINGs sent since the last receive
  lastRx = new Float64Array(INITIAL_ROWS);
  lastTx = new Float64Array(INITIAL_ROWS);
  lastPingAt = new Float64Array(INITIAL_ROWS);
  // Durations in float32 (exact to the ms up to 4.6 h; coarser beyond), to keep a row small.
  bound = new Float32Array(INITIAL_ROWS); // idle + interval × count
  nextDelay = new Float32Array(INITIAL_ROWS); // before the next PING (jittered)
  idle = new Float32Array(INITIAL_ROWS);
  interval = new Float32Array(INITIAL_ROWS);
  jitter = new Float32Array(INITIAL_ROWS); // fraction by which delays are shortened at random
  // The RTT estimate (RFC 6298 weights), ms in float32 (about 7 significant
  // digits): a row costs 16 bytes where an object per connection cost ~100.
  rttLast = new Float32Array(INITIAL_ROWS);
  rttSmoothed = new Float32Array(INITIAL_ROWS);
  rttVariance = new Float32Array(INITIAL_ROWS);
  rttSamples = new Uint32Array(INITIAL_ROWS);

  private readonly timer = new SharedTimer(() => this.tick());
  private sweeping = false;
  private expectedAt = 0;
  /** Time of the current tick (ms, scheduler clock). */
  now = 0;
  /** How late the last tick ran, ms: the event-loop lag it observed. */
  lagMs = 0;

  /** The sweep period in force, ms. */
  get periodMs(): number {
    return this.timer.periodMs;
  }

  /** Adds a row for `owner` with its timing (ms); returns its index. */
  add(owner: RowOwner, idle: number, interval: number, count: number, jitter: number, sendPings: boolean): number {
    if (this.size === this.flags.length) this.grow();
    const row = this.size++;
    this.owners[row] = owner;
    owner.row = row;
    const now = clock();
    this.flags[row] = sendPings ? SEND_PINGS : 0;
    this.pings[row] = 0;
    this.lastRx[row] = now;
    this.lastTx[row] = now;
    this.lastPingAt[row] = 0;
    this.idle[row] = idle;
    this.interval[row] = interval;
    this.jitter[row] = jitter;
    this.bound[row] = idle + interval * count;
    this.nextDelay[row] = jittered(idle, jitter);
    this.rttSamples[row] = 0;
    // A quarter of the finest delay keeps the added detection latency small.
    const resolutionMs = Math.min(idle, interval) / 4;
    const wanted = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, resolutionMs));
    if (wanted < this.timer.periodMs) this.restart(wanted);
    return row;
  }

  /** Removes a row by moving the last row into it. */
  remove(owner: RowOwner): void {
    const row = owner.row;
    if (row < 0 || this.owners[row] !== owner) return;
    const last = --this.size;
    if (row !== last) {
      const moved = this.owners[last] as RowOwner;
      this.owners[row] = moved;
      moved.row = row;
      this.flags[row] = this.flags[last];
      this.pings[row] = this.pings[last];
      this.lastRx[row] = this.lastRx[last];
      this.lastTx[row] = this.lastTx[last];
      this.lastPingAt[row] = this.lastPingAt[last];
      this.nextDelay[row] = this.nextDelay[last];
      this.bound[row] = this.bound[last];
      this.idle[row] = this.idle[last];
      this.interval[row] = this.interval[last];
      this.jitter[row] = this.jitter[last];
      this.rttLast[row] = this.rttLast[last];
      this.rttSmoothed[row] = this.rttSmoothed[last];
      this.rttVariance[row] = this.rttVariance[last];
      this.rttSamples[row] = this.rttSamples[last];
    }
    this.owners[last] = undefined;
    owner.row = -1;
    if (this.size === 0) this.timer.setPeriod(Infinity);
    if (!this.sweeping && this.size < this.flags.length / 4 && this.flags.length > INITIAL_ROWS) this.resize(Math.max(INITIAL_ROWS, this.flags.length >> 1));
  }

  /** Adds a round-trip sample (ms) to `row`'s estimate. */
  addRttSample(row: number, sample: number): void {
    const samples = this.rttSamples[row];
    if (samples === 0) {
      this.rttSmoothed[row] = sample;
      this.rttVariance[row] = sample / 2;
    } else {
      const smoothed = this.rttSmoothed[row];
      this.rttVariance[row] = 0.75 * this.rttVariance[row] + 0.25 * Math.abs(smoothed - sample);
      this.rttSmoothed[row] = 0.875 * smoothed + 0.125 * sample;
    }
    this.rttLast[row] = sample;
    if (samples !== 0xffffffff) this.rttSamples[row] = samples + 1;
  }

  /** `row`'s estimate, as a new object. */
  rttOf(row: number): RttEstimate {
    const samples = this.rttSamples[row];
    if (samples === 0) return { last: NaN, smoothed: NaN, variance: NaN, samples: 0 };
    return { last: this.rttLast[row], smoothed: this.rttSmoothed[row], variance: this.rttVariance[row], samples };
  }

  private grow(): void {
    this.resize(Math.ceil(this.flags.length * GROWTH));
  }

  /** New columns of `n` rows holding the live ones. */
  private resize(n: number): void {
    const size = this.size;
    const grown = <T extends Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(n);
      b.set(a.subarray(0, size));
      return b;
    };
    if (this.owners.length > n) this.owners.length = n;
    this.flags = grown(this.flags, Uint8Array);
    this.pings = grown(this.pings, Uint16Array);
    this.lastRx = grown(this.lastRx, Float64Array);
    this.lastTx = grown(this.lastTx, Float64Array);
    this.lastPingAt = grown(this.lastPingAt, Float64Array);
    this.nextDelay = grown(this.nextDelay, Float32Array);
    this.bound = grown(this.bound, Float32Array);
    this.idle = grown(this.idle, Float32Array);
    this.interval = grown(this.interval, Float32Array);
    this.jitter = grown(this.jitter, Float32Array);
    this.rttLast = grown(this.rttLast, Float32Array);
    this.rttSmoothed = grown(this.rttSmoothed, Float32Array);
    this.rttVariance = grown(this.rttVariance, Float32Array);
    this.rttSamples = grown(this.rttSamples, Uint32Array);
  }

  private restart(tickMs: number): void {
    this.now = clock();
    this.expectedAt = this.now + tickMs;
    this.timer.setPeriod(tickMs);
  }

  private tick(): void {
    const now = clock();
    this.now = now;
    this.lagMs = Math.max(0, now - this.expectedAt);
    this.expectedAt = now + this.timer.periodMs;
    this.sweep(now);
  }

  /** @internal One pass over every row; only rows with something due call their owner. */
  sweep(now: number): void {
    this.sweeping = true;
    try {
      this.sweepRows(now);
    } finally {
      this.sweeping = false;
    }
    // Shrunk after the pass, never under it.
    if (this.size < this.flags.length / 4 && this.flags.length > INITIAL_ROWS) this.resize(Math.max(INITIAL_ROWS, this.flags.length >> 1));
  }

  private sweepRows(now: number): void {
    let { flags, pings, lastRx, lastTx, lastPingAt, nextDelay, bound } = this;
    const owners = this.owners;
    // Walk downwards: an owner that dies removes its row by swapping in the
    // last one, which has been visited already.
    for (let i = this.size - 1; i >= 0; i--) {
      if (i >= this.size) continue; // rows removed by an owner's callback
      // A callback added rows and the columns grew: continue in the new ones.
      if (flags !== this.flags) ({ flags, pings, lastRx, lastTx, lastPingAt, nextDelay, bound } = this);
      let f = flags[i];
      if (f & (RX | TX)) {
        if (f & RX) {
          lastRx[i] = now;
          if (pings[i] !== 0) {
            pings[i] = 0; // any reply resets
            nextDelay[i] = jittered(this.idle[i], this.jitter[i]);
          }
        }
        if (f & TX) lastTx[i] = now;
        f &= ~(RX | TX);
        flags[i] = f;
      }
      if (f & VERDICT_PENDING) continue;
      if (now - lastRx[i] >= bound[i]) {
        (owners[i] as RowOwner).verdictDue(now);
        continue;
      }
      if (!(f & SEND_PINGS)) continue;
      const from = pings[i] === 0 ? Math.min(lastRx[i], lastTx[i]) : lastPingAt[i];
      if (now - from >= nextDelay[i]) {
        lastPingAt[i] = now;
        lastTx[i] = now;
        if (pings[i] !== 0xffff) pings[i] = pings[i] + 1;
        nextDelay[i] = jittered(this.interval[i], this.jitter[i]);
        (owners[i] as RowOwner).ping(now);
      }
    }
  }
}

function jittered(ms: number, jitter: number): number {
  return jitter === 0 ? ms : ms * (1 - jitter * Math.random());
}

/** The process-wide (per thread) table. */
export const table = new HeartbeatTable();

observe('tcp_keepalive.heartbeat.active', (report) => report(table.size));
