/**
 * The heartbeat engine, independent of any transport: when to PING, when a
 * connection is dead, RTT from PONG echoes. Driven by the shared scheduler.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import { booleanArg, integerArg, methodsOf, numberArg, optionsObject } from '../common';
import { countDeath, recordRtt, refreshMeter } from '../metrics';
import { clock, table, RX, TX, VERDICT_PENDING, type RowOwner, type RttEstimate } from './scheduler';

export type { RttEstimate } from './scheduler';

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

/** The estimate of heartbeats that ended, kept outside them: a live one pays no field for it. */
const finalRtt = new WeakMap<Heartbeat, RttEstimate>();

// `row` says where a heartbeat stands, so no field is spent on it: a row of
// the table while it lives, then one of these.
const STOPPED = -1;
const DEAD = -2;

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
  /** @internal row in the shared table while live; STOPPED or DEAD after */
  row = STOPPED;
  /** The detection bound: idle + interval × count, ms. */
  readonly bound: number;
  private seq = 0;
  private ackedSeq = 0;
  private emitter: EventEmitter<HeartbeatEvents> | null = null;
  // Only the library makes transports (channel, adapters, createHeartbeat),
  // each its own object that nothing else reaches: checked once here, then
  // called through. Every field is paid once per connection.
  private readonly transport: HeartbeatTransport;

  constructor(transport: HeartbeatTransport, options: HeartbeatOptions = {}) {
    methodsOf('transport', transport, ['sendPing'], ['isDraining']);
    this.transport = transport;
    const o = validateHeartbeatOptions(options);
    this.bound = o.idle + o.interval * o.count;
    table.add(this, o.idle, o.interval, o.count, o.jitter, o.sendPings);
    refreshMeter();
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
    if (this.row < 0) return;
    table.flags[this.row] |= RX;
    if (!(seq > this.ackedSeq && seq <= this.seq)) return;
    this.ackedSeq = seq;
    if (timestamp !== undefined && Number.isFinite(timestamp)) {
      const sample = clock() - timestamp;
      if (sample >= 0) this.addRttSample(sample);
      this.emitter?.emit('pong', seq, sample);
    }
  }

  /** Round-trip time from PONG echoes (kept in the table's row; the last figures once it ended). */
  get rtt(): RttEstimate {
    if (this.row >= 0) return table.rttOf(this.row);
    return { ...(finalRtt.get(this) ?? { last: NaN, smoothed: NaN, variance: NaN, samples: 0 }) };
  }

  /** Whether death was declared. */
  get dead(): boolean {
    return this.row === DEAD;
  }

  /** PINGs sent since something was last received. */
  get unansweredPings(): number {
    return this.row >= 0 ? table.pings[this.row] : 0;
  }

  /** Stops the heartbeat (no more PINGs, no verdict); idempotent. */
  stop(): void {
    this.leaveTable(STOPPED);
  }

  private leaveTable(as: typeof STOPPED | typeof DEAD): void {
    if (this.row < 0) return;
    if (table.rttSamples[this.row] !== 0) finalRtt.set(this, table.rttOf(this.row));
    table.remove(this);
    this.row = as;
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
      if (this.row < 0) return;
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
      this.leaveTable(DEAD);
      countDeath('heartbeat-timeout', 'heartbeat', death.silence);
      this.emitter?.emit('dead', death);
    });
  }

  private addRttSample(sample: number): void {
    table.addRttSample(this.row, sample);
    recordRtt(sample);
  }

}
