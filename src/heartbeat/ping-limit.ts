/**
 * How fast a peer may PING us: a token bucket per connection. A peer makes
 * us send one PONG per PING; without a limit a hostile peer can keep a
 * server busy answering (gRPC answers the same threat with GOAWAY
 * "too_many_pings").
 * @packageDocumentation
 */
import { integerArg, invalidArgType, optionsObject, outOfRange } from '../common';
import { ProtocolError } from './frame';
import { clock } from './scheduler';

/**
 * Limit on PINGs received from the peer. A well-behaved pinger sends at most
 * one PING per `min(idle, interval) × (1 − jitter)`, so the defaults leave
 * room for heartbeats down to ~100 ms.
 */
export interface PingRateLimit {
  /** PINGs per second allowed on average. Default 10. */
  perSecond?: number;
  /** PINGs allowed in a burst above the average. Default 20. */
  burst?: number;
}

const DEFAULTS = { perSecond: 10, burst: 20 };
const MAX_RATE = 1_000_000;
const LIMIT_OPTIONS = new Set(['perSecond', 'burst']);

/** Validates a limit (`false` turns it off); returns it complete or undefined. */
export function validatePingRateLimit(limit: PingRateLimit | false | undefined): Required<PingRateLimit> | undefined {
  if (limit === false) return undefined;
  if (limit === undefined) return { ...DEFAULTS };
  if (limit === null || typeof limit !== 'object') throw invalidArgType('options.pingRateLimit', 'of type object or false', limit);
  const o = optionsObject<PingRateLimit>('options.pingRateLimit', limit, LIMIT_OPTIONS, 'a PING rate limit option');
  const perSecond = o.perSecond ?? DEFAULTS.perSecond;
  if (typeof perSecond !== 'number') throw invalidArgType('options.pingRateLimit.perSecond', 'of type number', perSecond);
  if (!(perSecond > 0 && perSecond <= MAX_RATE)) {
    throw outOfRange('options.pingRateLimit.perSecond', `> 0 && <= ${MAX_RATE} (PINGs per second)`, perSecond);
  }
  const burst = o.burst === undefined ? DEFAULTS.burst : integerArg('options.pingRateLimit.burst', o.burst, 1, MAX_RATE, ' (PINGs)');
  return { perSecond, burst };
}

/** One connection's bucket. */
export class PingBucket {
  private tokens: number;
  private refilledAt = clock();

  constructor(private readonly limit: Required<PingRateLimit>) {
    this.tokens = limit.burst;
  }

  /** Takes a token for one received PING; false when none is left (the peer floods). */
  take(): boolean {
    const now = clock();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.refilledAt) * this.limit.perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** The violation a peer commits by PINGing faster than the limit. */
  floodError(): ProtocolError {
    return new ProtocolError(`PING flood: the peer PINGs faster than the limit of ${this.limit.perSecond}/s (burst ${this.limit.burst})`, 'ping-flood');
  }
}
