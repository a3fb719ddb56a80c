/**
 * The shared sampler: one unref'd timer for every watcher of the thread,
 * ticking at the finest period any of them asked for; each watcher samples
 * itself when its own period is due.
 * @packageDocumentation
 */
import { SharedTimer } from '../common';

/** What the sampler drives. */
export interface Sampled {
  readonly sampleInterval: number;
  /** Samples if due by `horizon` (ms since the epoch); `now` is the tick's time. */
  sampleIfDue(now: number, horizon: number): void;
}

const sampled = new Set<Sampled>();
const timer = new SharedTimer(() => {
  const now = Date.now();
  // Half a tick of tolerance: a watcher created just after the timer started
  // is sampled at every tick of its period, not every other one.
  const horizon = now + timer.periodMs / 2;
  for (const s of sampled) s.sampleIfDue(now, horizon);
});

function retime(): void {
  let period = Infinity;
  for (const s of sampled) period = Math.min(period, s.sampleInterval);
  timer.setPeriod(period);
}

/** Starts sampling `s`. */
export function startSampling(s: Sampled): void {
  sampled.add(s);
  if (s.sampleInterval < timer.periodMs) timer.setPeriod(s.sampleInterval);
}

/** Stops sampling `s`. */
export function stopSampling(s: Sampled): void {
  if (sampled.delete(s)) retime();
}

/** How many are sampled (tests check that all are released). */
export function sampledCount(): number {
  return sampled.size;
}
