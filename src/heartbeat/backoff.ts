/**
 * Exponential backoff with jitter between connection attempts, after gRPC's
 * connection-backoff: the delay starts at `initialDelay`, is multiplied by
 * `multiplier` after every failed attempt up to `maxDelay`, and each delay
 * actually waited is spread by ± `jitter` so that clients that lost the
 * same server do not come back in step.
 * @packageDocumentation
 */
import { numberArg, optionsObject } from '../common';

/** Backoff between connection attempts; times in milliseconds. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 1000 (gRPC). */
  initialDelay?: number;
  /** Factor applied to the delay after each failed attempt (≥ 1). Default 1.6 (gRPC). */
  multiplier?: number;
  /** Upper bound of the delay before jitter, ms. Default 120 000 (gRPC). */
  maxDelay?: number;
  /** Fraction (0..1) by which each delay is randomly lengthened or shortened. Default 0.2 (gRPC). */
  jitter?: number;
}

const BACKOFF_OPTIONS: ReadonlySet<string> = new Set(['initialDelay', 'multiplier', 'maxDelay', 'jitter']);
const MAX_MS = 2 ** 31 - 1;

/** The defaults of gRPC's connection backoff. */
export const GRPC_BACKOFF: Readonly<Required<BackoffOptions>> = Object.freeze({ initialDelay: 1000, multiplier: 1.6, maxDelay: 120_000, jitter: 0.2 });

/** Checks {@link BackoffOptions}; returns them complete. */
export function validateBackoffOptions(options: unknown, name = 'options.backoff'): Required<BackoffOptions> {
  const o = optionsObject<BackoffOptions>(name, options, BACKOFF_OPTIONS, 'a backoff option');
  const d = GRPC_BACKOFF;
  const initialDelay = o.initialDelay === undefined ? d.initialDelay : numberArg(`${name}.initialDelay`, o.initialDelay, 0, MAX_MS, ' (milliseconds)');
  const maxDelay = o.maxDelay === undefined ? Math.max(d.maxDelay, initialDelay) : numberArg(`${name}.maxDelay`, o.maxDelay, initialDelay, MAX_MS, ' (milliseconds, at least initialDelay)');
  return {
    initialDelay,
    maxDelay,
    multiplier: o.multiplier === undefined ? d.multiplier : numberArg(`${name}.multiplier`, o.multiplier, 1, 1000, ''),
    jitter: o.jitter === undefined ? d.jitter : numberArg(`${name}.jitter`, o.jitter, 0, 1, ' (a fraction of each delay)'),
  };
}

/**
 * The delays of successive attempts. {@link Backoff.next} gives the delay to
 * wait before the next attempt and advances; {@link Backoff.reset} goes back
 * to the start (after a connection succeeded).
 */
export class Backoff {
  private current: number;

  constructor(
    private readonly options: Required<BackoffOptions>,
    private readonly random: () => number = Math.random,
  ) {
    this.current = options.initialDelay;
  }

  /** The longest delay {@link next} can return from now on, jitter included, ms. */
  get bound(): number {
    return Math.min(MAX_MS, this.options.maxDelay * (1 + this.options.jitter));
  }

  /** Delay before the next attempt, ms (jittered), and the one after grows. */
  next(): number {
    const { multiplier, maxDelay, jitter } = this.options;
    const base = this.current;
    this.current = Math.min(maxDelay, base * multiplier);
    return Math.min(MAX_MS, Math.max(0, base * (1 + jitter * (2 * this.random() - 1))));
  }

  /** Back to `initialDelay`. */
  reset(): void {
    this.current = this.options.initialDelay;
  }
}
