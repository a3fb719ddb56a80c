/**
 * The shared sampler: one unref'd timer for every watcher of the thread,
 * ticking at the finest period any of them asked for.
 *
 * Two tiers, so that a tick costs what needs watching, not what is watched.
 * Watchers that must be looked at every period (their socket is one Node
 * does not poll, or data is in flight) are in a list walked at every tick.
 * A watcher with nothing to look at before a given time (a quiet socket
 * Node reads as it arrives) waits in a bucket of that second and is not
 * touched until then, unless it is called back early.
 * @packageDocumentation
 */
import { SharedTimer } from '../common';
import { observe } from '../metrics';

/** What the sampler drives. */
export interface Sampled {
  readonly sampleInterval: number;
  /** Samples if due by `horizon` (ms since the epoch); `now` is the tick's time. */
  sampleIfDue(now: number, horizon: number): void;
  /** @internal Its place in the per-tick list; -1 when not in it. */
  sampledAt: number;
  /** @internal The second (ms / 1000, floored) whose bucket holds it; -1 when in none. */
  deferredTo: number;
}

const BUCKET_MS = 1000;

// The per-tick list: a plain array, removed from by swapping the last in.
const everyTick: Sampled[] = [];
// Waiting watchers by the second they are due in. An entry whose watcher
// was called back or stopped meanwhile is stale (its deferredTo differs)
// and skipped when the bucket is opened.
const buckets = new Map<number, Sampled[]>();
let nextBucket = Math.floor(Date.now() / BUCKET_MS);
let waiting = 0;

const timer = new SharedTimer(() => {
  const now = Date.now();
  // Half a tick of tolerance: a watcher created just after the timer started
  // is sampled at every tick of its period, not every other one.
  const horizon = now + timer.periodMs / 2;
  openBuckets(horizon);
  // Downwards: a watcher that leaves the list while sampled swaps in one already seen.
  for (let i = everyTick.length - 1; i >= 0; i--) {
    const s = everyTick[i];
    if (s !== undefined) s.sampleIfDue(now, horizon);
  }
});

/** Moves the watchers of every bucket due by `horizon` back to the per-tick list. */
function openBuckets(horizon: number): void {
  const last = Math.floor(horizon / BUCKET_MS);
  if (waiting === 0) {
    nextBucket = last + 1;
    return;
  }
  for (; nextBucket <= last; nextBucket++) {
    const bucket = buckets.get(nextBucket);
    if (bucket === undefined) continue;
    buckets.delete(nextBucket);
    for (const s of bucket) {
      if (s.deferredTo !== nextBucket) continue;
      s.deferredTo = -1;
      waiting--;
      addToList(s);
    }
  }
}

// How many watchers sample at each period: the timer ticks at the finest.
const periods = new Map<number, number>();

function retime(): void {
  let period = Infinity;
  for (const p of periods.keys()) period = Math.min(period, p);
  timer.setPeriod(period);
}

function addToList(s: Sampled): void {
  if (s.sampledAt >= 0) return;
  s.sampledAt = everyTick.length;
  everyTick.push(s);
}

function removeFromList(s: Sampled): void {
  const i = s.sampledAt;
  if (i < 0 || everyTick[i] !== s) return;
  const last = everyTick.pop() as Sampled;
  if (last !== s) {
    everyTick[i] = last;
    last.sampledAt = i;
  }
  s.sampledAt = -1;
}

function unbucket(s: Sampled): void {
  if (s.deferredTo < 0) return;
  s.deferredTo = -1; // its entry goes stale
  waiting--;
}

/** Starts sampling `s`, at every tick. */
export function startSampling(s: Sampled): void {
  if (s.sampledAt >= 0 || s.deferredTo >= 0) return;
  addToList(s);
  periods.set(s.sampleInterval, (periods.get(s.sampleInterval) ?? 0) + 1);
  if (s.sampleInterval < timer.periodMs) timer.setPeriod(s.sampleInterval);
}

/** `s` needs no look before `until` (ms since the epoch): not touched until that second's tick. */
export function deferSampling(s: Sampled, until: number): void {
  if (s.sampledAt < 0 && s.deferredTo < 0) return; // not sampled
  removeFromList(s);
  unbucket(s);
  // With nothing waiting, the ticks stopped advancing nextBucket (or there
  // were none): start from now, so the first tick does not walk every
  // second since.
  if (waiting === 0) nextBucket = Math.floor(Date.now() / BUCKET_MS);
  const key = Math.max(Math.floor(until / BUCKET_MS), nextBucket);
  let bucket = buckets.get(key);
  if (bucket === undefined) {
    bucket = [];
    buckets.set(key, bucket);
  }
  bucket.push(s);
  s.deferredTo = key;
  waiting++;
}

/** `s` must be looked at from the next tick on again. */
export function hurrySampling(s: Sampled): void {
  if (s.deferredTo < 0) return;
  unbucket(s);
  addToList(s);
}

/** Stops sampling `s`. */
export function stopSampling(s: Sampled): void {
  if (s.sampledAt < 0 && s.deferredTo < 0) return;
  removeFromList(s);
  unbucket(s);
  const left = (periods.get(s.sampleInterval) ?? 1) - 1;
  if (left > 0) {
    periods.set(s.sampleInterval, left);
  } else {
    periods.delete(s.sampleInterval);
    retime();
  }
  if (waiting === 0) buckets.clear();
}

/** How many are sampled (tests check that all are released). */
export function sampledCount(): number {
  return everyTick.length + waiting;
}

observe('tcp_keepalive.connection.watched', (report) => report(sampledCount()));
