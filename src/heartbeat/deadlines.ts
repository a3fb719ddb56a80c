/**
 * Deadlines of channels (HELLO after connecting, the rest of a started
 * frame): one unref'd timer for all of them, running only while a deadline
 * is pending, so a connection costs nothing here unless it owes something.
 * @packageDocumentation
 */
import { SharedTimer } from '../common';
import { clock } from './scheduler';

/** What is told when its deadline passes. */
export interface DeadlineOwner {
  onDeadline(): void;
}

const MIN_TICK_MS = 5;
const MAX_TICK_MS = 1000;

class Deadlines {
  private readonly due = new Map<DeadlineOwner, number>();
  private readonly timer = new SharedTimer(() => this.tick());

  /** Sets (or moves) `owner`'s deadline to `timeoutMs` from now; checked every quarter of it at least. */
  set(owner: DeadlineOwner, timeoutMs: number): void {
    this.due.set(owner, clock() + timeoutMs);
    const wanted = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, timeoutMs / 4));
    if (wanted < this.timer.periodMs) this.timer.setPeriod(wanted);
  }

  /** Removes `owner`'s deadline, if any. */
  clear(owner: DeadlineOwner): void {
    if (this.due.delete(owner) && this.due.size === 0) this.timer.setPeriod(Infinity);
  }

  private tick(): void {
    const now = clock();
    for (const [owner, at] of this.due) {
      if (now < at) continue;
      this.due.delete(owner);
      try {
        owner.onDeadline();
      } catch (error) {
        // An application listener threw: its exception is its own (uncaught,
        // as from any listener), and the other deadlines are still checked.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    if (this.due.size === 0) this.timer.setPeriod(Infinity);
  }
}

/** The deadlines of this thread's channels. */
export const deadlines = new Deadlines();
