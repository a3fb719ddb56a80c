/**
 * One shared, unref'd sweep for every heartbeat in the process: no Timeout
 * object per connection. Each tick reads the clock once, measures the
 * event-loop lag, and visits every registered member with that cached time.
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';

/** What the scheduler drives. */
export interface Swept {
  /** @internal index in the member array, for O(1) removal. */
  slot: number;
  /** Called once per tick with the cached time (ms on the scheduler clock). */
  sweep(now: number): void;
  /** The finest period (ms) this member needs the sweep to run at. */
  readonly resolutionMs: number;
}

const MIN_TICK_MS = 5;
const MAX_TICK_MS = 1000;

/** The scheduler's clock: ms since it was created (small numbers stay Smis in V8). */
const epoch = performance.now();
export function clock(): number {
  return performance.now() - epoch;
}

class Scheduler {
  private members: Swept[] = [];
  private timer: NodeJS.Timeout | undefined;
  private tickMs = Infinity;
  private expectedAt = 0;
  /** Time of the current tick (ms, scheduler clock). */
  now = 0;
  /** How late the last tick ran, ms: the event-loop lag it observed. */
  lagMs = 0;
  /** The largest lag seen in the last second, ms. */
  recentMaxLagMs = 0;
  private lagWindowStart = 0;

  get size(): number {
    return this.members.length;
  }

  get periodMs(): number {
    return this.tickMs;
  }

  add(member: Swept): void {
    member.slot = this.members.length;
    this.members.push(member);
    const wanted = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, member.resolutionMs));
    if (wanted < this.tickMs) this.restart(wanted);
  }

  remove(member: Swept): void {
    const slot = member.slot;
    if (slot < 0 || this.members[slot] !== member) return;
    const last = this.members.pop() as Swept;
    if (last !== member) {
      this.members[slot] = last;
      last.slot = slot;
    }
    member.slot = -1;
    if (this.members.length === 0) this.stop();
  }

  private restart(tickMs: number): void {
    if (this.timer) clearInterval(this.timer);
    this.tickMs = tickMs;
    this.now = clock();
    this.expectedAt = this.now + tickMs;
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.tickMs = Infinity;
  }

  private tick(): void {
    const now = clock();
    this.now = now;
    this.lagMs = Math.max(0, now - this.expectedAt);
    if (now - this.lagWindowStart > 1000) {
      this.lagWindowStart = now;
      this.recentMaxLagMs = this.lagMs;
    } else if (this.lagMs > this.recentMaxLagMs) {
      this.recentMaxLagMs = this.lagMs;
    }
    this.expectedAt = now + this.tickMs;
    const members = this.members;
    // Members may remove themselves while swept (death): walk downwards so a
    // swap-removal never skips one.
    for (let i = members.length - 1; i >= 0; i--) {
      const m = members[i];
      if (m !== undefined) m.sweep(now);
    }
  }
}

/** The process-wide (per thread) scheduler. */
export const scheduler = new Scheduler();
