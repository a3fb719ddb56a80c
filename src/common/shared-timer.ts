/**
 * One unref'd interval shared by many owners (every watcher of the process,
 * every heartbeat, every channel deadline): it runs at the period its owner
 * asks for, only while there is something to do, and never keeps the
 * process alive.
 * @packageDocumentation
 */

/** An interval its owner starts, re-times and stops as its work changes. */
export class SharedTimer {
  private timer: NodeJS.Timeout | undefined;
  private period = Infinity;

  constructor(private readonly onTick: () => void) {}

  /** The period in force, ms (Infinity when stopped). */
  get periodMs(): number {
    return this.period;
  }

  /** Runs every `ms` from now on (Infinity stops it); the same period leaves it alone. */
  setPeriod(ms: number): void {
    if (ms === this.period) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.period = ms;
    if (ms === Infinity) return;
    this.timer = setInterval(this.onTick, ms);
    this.timer.unref();
  }
}
