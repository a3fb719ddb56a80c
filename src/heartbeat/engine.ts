/**
 * The heartbeat engine, independent of any transport: when to PING, when a
 * connection is dead, RTT from PONG echoes. Driven by the shared scheduler.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import { booleanArg, integerArg, methodsOf, numberArg, optionsObject } from '../common';
import { clock, table, RX, TX, VERDICT_PENDING, type RowOwner } from './scheduler';

/**
 * Heartbeat timing, all in milliseconds.
 *
 * A PING goes out when nothing has been **received** for `idle` (to make the
 * peer answer) or nothing has been **sent** for `idle` (so the peer's own
 * reaper sees us); while no answer comes, one every `interval`. The
 * connection is declared dead when nothing at all has been received for
 * `idle + interval × count` — the detection bound — plus at most one
 * scheduler tick. Any received byte counts as an answer; outgoing traffic
 * never postpones the verdict.
 */
export interface HeartbeatOptions {
  /** Receive (or send) silence before the first PING, ms. Default 10 000. */
  idle?: number;
  /** Time between unanswered PINGs, ms. Default 3000. */
  interval?: number;
  /** Unanswered PINGs before the connection is declared dead. Default 3. */
  count?: number;
  /**
   * Fraction (0..0.5) by which each PING delay is randomly shortened, so
   * thousands of connections do not ping in lock-step. Never lengthens the
   * bound. Default 0.1.
   */
  jitter?: number;
  /**
   * `false`: never PING, only answer and judge (a server that reaps clients
   * which stop heartbeating). Default `true`.
   */
  sendPings?: boolean;
}

/** How the engine talks to a connection. */
export interface HeartbeatTransport {
  /** Send a PING carrying `seq` and `timestamp` (the engine's clock, ms). */
  sendPing(seq: number, timestamp: number): void;
  /**
   * Optional: true while a PING we sent is still in the local write buffer
   * *and* that buffer drained since the previous call. A PING stuck behind
   * megabytes of our own data is not an unanswered PING.
   */
  isDraining?(): boolean;
}

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

/** What the engine knows when it declares death. */
export interface HeartbeatDeath {
  /** ms without receiving anything when death was declared. */
  silence: number;
  /** The detection bound, idle + interval × count, ms. */
  bound: number;
  /** PINGs sent since the last receive. */
  unansweredPings: number;
  /** Highest PING sequence sent. */
  lastSeq: number;
  /** Event-loop lag measured by the scheduler around the verdict, ms. */
  loopLag: number;
  rtt: RttEstimate;
}

/** Events of a {@link Heartbeat}. */
export interface HeartbeatEvents {
  dead: [death: HeartbeatDeath];
  /** A PONG acknowledged PINGs up to `seq`, with an RTT sample when it echoed a timestamp. */
  pong: [seq: number, rttMs: number];
}

const DEFAULTS = { idle: 10_000, interval: 3000, count: 3, jitter: 0.1 };
const HEARTBEAT_OPTIONS = new Set(['idle', 'interval', 'count', 'jitter', 'sendPings']);
const MAX_MS = 2 ** 31 - 1;

function checkTime(name: string, value: unknown, fallback: number, min: number): number {
  return value === undefined ? fallback : numberArg(name, value, min, MAX_MS, ' (milliseconds)');
}

/**
 * Validates heartbeat options; returns them complete. `name` is how the
 * options are named in error messages ('options', 'options.heartbeat').
 */
export function validateHeartbeatOptions(options?: HeartbeatOptions, name = 'options', sendPingsByDefault = true): Required<HeartbeatOptions> {
  const o = optionsObject<HeartbeatOptions>(name, options, HEARTBEAT_OPTIONS, 'a heartbeat option');
  return {
    idle: checkTime(`${name}.idle`, o.idle, DEFAULTS.idle, 1),
    interval: checkTime(`${name}.interval`, o.interval, DEFAULTS.interval, 1),
    count: o.count === undefined ? DEFAULTS.count : integerArg(`${name}.count`, o.count, 1, 1000, ' (PINGs)'),
    jitter: o.jitter === undefined ? DEFAULTS.jitter : numberArg(`${name}.jitter`, o.jitter, 0, 0.5, ' (a fraction of each delay)'),
    sendPings: booleanArg(`${name}.sendPings`, o.sendPings, sendPingsByDefault),
  };
}

const LIVE = 0;
const DEAD = 1;
const STOPPED = 2;

/**
 * One connection's heartbeat. Call {@link Heartbeat.received} for every
 * chunk received (O(1), allocation-free), {@link Heartbeat.sentData} for
 * outgoing traffic, and {@link Heartbeat.pong} for each PONG. Emits 'dead'
 * (once) and 'pong'.
 *
 * Its timing state is a row of the shared {@link table} (typed-array
 * columns walked by one unref'd sweep); the object itself is a small handle.
 */
export class Heartbeat implements RowOwner {
  /** @internal row in the shared table; -1 once stopped */
  row = -1;
  /** The detection bound: idle + interval × count, ms. */
  readonly bound: number;
  private seq = 0;
  private ackedSeq = 0;
  private status = LIVE;
  private emitter: EventEmitter<HeartbeatEvents> | null = null;
  private estimate: RttEstimate | null = null;

  private readonly transport: HeartbeatTransport;

  constructor(transport: HeartbeatTransport, options: HeartbeatOptions = {}) {
    // Read once: the methods are kept, bound to the object they came from.
    const methods = methodsOf('transport', transport, ['sendPing'], ['isDraining']);
    this.transport = methods as unknown as HeartbeatTransport;
    const o = validateHeartbeatOptions(options);
    this.bound = o.idle + o.interval * o.count;
    table.add(this, o.idle, o.interval, o.count, o.jitter, o.sendPings);
  }

  /** Something was received (any byte is liveness). O(1), allocation-free. */
  received(): void {
    if (this.row >= 0) table.flags[this.row] |= RX;
  }

  /** Something was sent: postpones the next PING, never the verdict. */
  sentData(): void {
    if (this.row >= 0) table.flags[this.row] |= TX;
  }

  /**
   * A PONG for `seq` arrived: acknowledges every PING ≤ seq. `timestamp` is
   * the PING's own timestamp echoed back; an RTT sample is taken only the
   * first time a PING is acknowledged, so duplicates and stale PONGs do not
   * skew it. A PONG never revives a connection already declared dead, and a
   * PONG for a PING never sent is ignored (beyond counting as bytes received).
   */
  pong(seq: number, timestamp?: number): void {
    if (this.status !== LIVE) return;
    table.flags[this.row] |= RX;
    if (!(seq > this.ackedSeq && seq <= this.seq)) return;
    this.ackedSeq = seq;
    if (timestamp !== undefined && Number.isFinite(timestamp)) {
      const sample = clock() - timestamp;
      if (sample >= 0) this.addRttSample(sample);
      this.emitter?.emit('pong', seq, sample);
    }
  }

  /** Round-trip time from PONG echoes. */
  get rtt(): RttEstimate {
    return this.estimate ? { ...this.estimate } : { last: NaN, smoothed: NaN, variance: NaN, samples: 0 };
  }

  /** Whether death was declared. */
  get dead(): boolean {
    return this.status === DEAD;
  }

  /** PINGs sent since something was last received. */
  get unansweredPings(): number {
    return this.row >= 0 ? table.pings[this.row] : 0;
  }

  /** Stops the heartbeat (no more PINGs, no verdict); idempotent. */
  stop(): void {
    if (this.status === LIVE) this.status = STOPPED;
    if (this.row >= 0) table.remove(this);
  }

  /** Adds a listener ('dead' once with {@link HeartbeatDeath}; 'pong' with seq and RTT). */
  on<K extends keyof HeartbeatEvents>(event: K, listener: (...args: HeartbeatEvents[K]) => void): this {
    (this.emitter ??= new EventEmitter<HeartbeatEvents>()).on(event, listener as never);
    return this;
  }

  /** Adds a one-time listener. */
  once<K extends keyof HeartbeatEvents>(event: K, listener: (...args: HeartbeatEvents[K]) => void): this {
    (this.emitter ??= new EventEmitter<HeartbeatEvents>()).once(event, listener as never);
    return this;
  }

  /** Removes a listener. */
  off<K extends keyof HeartbeatEvents>(event: K, listener: (...args: HeartbeatEvents[K]) => void): this {
    this.emitter?.off(event, listener as never);
    return this;
  }

  /**
   * @internal The sweep booked a PING: send it with a fresh timestamp. A
   * transport that throws does not stop the sweep over the other
   * connections: the exception is rethrown on its own (an uncaught
   * exception, as from any callback), and this connection's verdict
   * proceeds as if the PING was lost.
   */
  ping(): void {
    this.seq = this.seq === 0xffffffff ? 1 : this.seq + 1;
    try {
      this.transport.sendPing(this.seq, clock());
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /**
   * @internal The verdict falls due. Node runs timers before polling I/O, so
   * after a stall an answer may sit unread in the kernel: defer one I/O poll
   * (setImmediate) and decide then. A PING still draining out of a full
   * local buffer is not unanswered: it gets one more interval.
   */
  verdictDue(now: number): void {
    const row = this.row;
    if (this.transport.isDraining?.()) {
      table.lastRx[row] = now - (table.bound[row] - table.interval[row]);
      return;
    }
    table.flags[row] |= VERDICT_PENDING;
    const lagAtTick = table.lagMs;
    setImmediate(() => {
      if (this.status !== LIVE || this.row < 0) return;
      const r = this.row;
      table.flags[r] &= ~VERDICT_PENDING;
      if (table.flags[r] & RX) return; // the poll delivered something: alive
      const death: HeartbeatDeath = {
        silence: clock() - table.lastRx[r],
        bound: this.bound,
        unansweredPings: table.pings[r],
        lastSeq: this.seq,
        loopLag: Math.max(lagAtTick, table.lagMs),
        rtt: this.rtt,
      };
      this.status = DEAD;
      table.remove(this);
      this.emitter?.emit('dead', death);
    });
  }

  private addRttSample(sample: number): void {
    const e = (this.estimate ??= { last: NaN, smoothed: NaN, variance: NaN, samples: 0 });
    if (e.samples === 0) {
      e.smoothed = sample;
      e.variance = sample / 2;
    } else {
      e.variance = 0.75 * e.variance + 0.25 * Math.abs(e.smoothed - sample);
      e.smoothed = 0.875 * e.smoothed + 0.125 * sample;
    }
    e.last = sample;
    e.samples++;
  }
}
