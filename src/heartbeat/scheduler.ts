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
  flags = new Uint8Array(64);
  pings = new Uint16Array(64); // PINGs sent since the last receive
  lastRx = new Float64Array(64);
  lastTx = new Float64Array(64);
  lastPingAt = new Float64Array(64);
  bound = new Float64Array(64); // idle + interval × count
  // Delays in float32 (exact to the ms up to 4.6 h; coarser beyond), to keep a row small.
  nextDelay = new Float32Array(64); // before the next PING (jittered)
  idle = new Float32Array(64);
  interval = new Float32Array(64);
  jitter = new Float32Array(64); // fraction by which delays are shortened at random

  private readonly timer = new SharedTimer(() => this.tick());
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
    }
    this.owners[last] = undefined;
    owner.row = -1;
    if (this.size === 0) this.timer.setPeriod(Infinity);
  }

  private grow(): void {
    const n = this.flags.length * 2;
    const grown = <T extends Uint8Array | Uint16Array | Float32Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(n);
      b.set(a);
      return b;
    };
    this.flags = grown(this.flags, Uint8Array);
    this.pings = grown(this.pings, Uint16Array);
    this.lastRx = grown(this.lastRx, Float64Array);
    this.lastTx = grown(this.lastTx, Float64Array);
    this.lastPingAt = grown(this.lastPingAt, Float64Array);
    this.nextDelay = grown(this.nextDelay, Float32Array);
    this.bound = grown(this.bound, Float64Array);
    this.idle = grown(this.idle, Float32Array);
    this.interval = grown(this.interval, Float32Array);
    this.jitter = grown(this.jitter, Float32Array);
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
    const { flags, pings, lastRx, lastTx, lastPingAt, nextDelay, bound, owners } = this;
    // Walk downwards: an owner that dies removes its row by swapping in the
    // last one, which has been visited already.
    for (let i = this.size - 1; i >= 0; i--) {
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
