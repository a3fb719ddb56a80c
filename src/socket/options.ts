/**
 * Validation of the public keep-alive options into one native request.
 * Everything is checked before anything is applied.
 * @packageDocumentation
 */
import { booleanArg, integerArg, invalidArgType, libraryError, numberArg, optionsObject, outOfRange, type Snapshot } from '../common';
import { binding, Field, type OsLimits } from '../native';

/**
 * What {@link setKeepAlive} applies. Every time is in **milliseconds**; an
 * OS that takes seconds gets the value rounded **up** to whole seconds
 * (1500 → 2000), never down to 0. An omitted field is left as the kernel has it.
 */
export interface KeepAliveOptions {
  /** Keep-alive on (SO_KEEPALIVE). Default `true`; `false` turns it off (the other fields are still stored). */
  enabled?: boolean;
  /** Idle time before the first probe, ms (TCP_KEEPIDLE; TCP_KEEPALIVE on macOS). Linux: 1 ms..32 767 000 ms. */
  idle?: number;
  /** Time between unanswered probes, ms (TCP_KEEPINTVL). Linux: 1 ms..32 767 000 ms. */
  interval?: number;
  /** Unanswered probes before the connection is dropped (TCP_KEEPCNT), an integer. Linux: 1..127. */
  count?: number;
  /**
   * How long sent data may stay unacknowledged before the connection is
   * dropped, ms: TCP_USER_TIMEOUT on Linux (ms), TCP_RXT_CONNDROPTIME on
   * macOS and TCP_MAXRT on Windows (both whole seconds, rounded up).
   * `0` = the system default (Linux, macOS). `'auto'` = idle + interval × count
   * of the effective settings, so a busy socket dies as fast as an idle one.
   */
  userTimeout?: number | 'auto';
  /**
   * Keep these settings in force when Node's own `socket.setKeepAlive()`
   * runs later (as `http.Agent({ keepAlive: true })` does on every socket
   * reuse), which otherwise resets interval to 1 s and count to 10.
   * Only for `net.Socket` arguments. Default `false`.
   */
  persist?: boolean;
}

/**
 * Keep-alive settings as the kernel holds them. Times in **milliseconds**.
 * A value the OS cannot report is `null`, never invented (Windows cannot
 * read back what SIO_KEEPALIVE_VALS set; FreeBSD has no user timeout).
 */
export interface KeepAliveSettings {
  /** SO_KEEPALIVE is on. */
  enabled: boolean;
  /** Idle time before the first probe, ms (kernel: whole seconds). */
  idle: number | null;
  /** Time between unanswered probes, ms (kernel: whole seconds). */
  interval: number | null;
  /** Unanswered probes before the connection is dropped. */
  count: number | null;
  /** Give-up time for unacknowledged data, ms; 0 = system default. */
  userTimeout: number | null;
  /**
   * Present only where a value shown was not read from the socket: the
   * fields listed are what was last set (Windows SIO_KEEPALIVE_VALS) or the
   * OS's fixed value (its probe count of 10).
   */
  unverified?: Array<'idle' | 'interval' | 'count'>;
}

/** This OS's ranges, from the addon (native/platform_*.cc). */
export function currentLimits(): OsLimits {
  return binding().limits;
}

/** A validated request, in milliseconds, ready for the native call. */
export interface KeepAliveRequest {
  mask: number;
  enabled: boolean;
  idleMs: number;
  intervalMs: number;
  count: number;
  /** Resolved user timeout (ms) or 'auto' when it depends on values the kernel holds. */
  userTimeoutMs: number | 'auto';
  persist: boolean;
}

const KNOWN = new Set(['enabled', 'idle', 'interval', 'count', 'userTimeout', 'persist']);

function unsupported(option: string, limits: OsLimits): Error {
  return libraryError(
    'ERR_TCP_KEEPALIVE_UNSUPPORTED',
    `tcp-keepalive: option "${option}" is not supported on ${limits.name}`,
  );
}

const IN_SECONDS = ' (milliseconds, applied in whole seconds rounded up)';

/** Validates a time in ms; fractions are allowed and rounded up by the OS unit. */
function time(options: Snapshot<KeepAliveOptions>, key: 'idle' | 'interval', limits: OsLimits, name: string): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  const range = limits[key];
  if (range === undefined) throw unsupported(key, limits);
  return Math.ceil(numberArg(`${name}.${key}`, value, range.min, range.max, IN_SECONDS));
}

function count(options: Snapshot<KeepAliveOptions>, limits: OsLimits, name: string): number | undefined {
  const value = options.count;
  if (value === undefined) return undefined;
  const range = limits.count;
  if (range === undefined) throw unsupported('count', limits);
  return integerArg(`${name}.count`, value, range.min, range.max, ' (probes)');
}

function userTimeout(options: Snapshot<KeepAliveOptions>, limits: OsLimits, name: string): number | 'auto' | undefined {
  const value = options.userTimeout;
  if (value === undefined) return undefined;
  const range = limits.userTimeout;
  if (range === undefined) throw unsupported('userTimeout', limits);
  if (value === 'auto') return value;
  if (typeof value !== 'number') throw invalidArgType(`${name}.userTimeout`, "of type number or the string 'auto'", value);
  return Math.ceil(numberArg(`${name}.userTimeout`, value, range.min, range.max, limits.userTimeoutInSeconds ? IN_SECONDS : ' (milliseconds)'));
}

/** Rounds a time up to the whole seconds the kernel stores it in. */
export function roundUpToSeconds(ms: number): number {
  return Math.ceil(ms / 1000) * 1000;
}

/**
 * Checks every option against the current OS's limits and returns the
 * native request. Throws TypeError / RangeError (Node codes) or
 * ERR_TCP_KEEPALIVE_UNSUPPORTED; never applies anything itself.
 */
export function validateOptions(options: unknown, limits: OsLimits = currentLimits(), name = 'options'): KeepAliveRequest {
  return requestOf(optionsObject<KeepAliveOptions>(name, options, KNOWN, 'a keep-alive option'), limits, name);
}

/**
 * Reads and checks keep-alive options once; returns the snapshot read (a
 * plain object that later calls can read again without running a getter twice).
 */
export function readKeepAliveOptions(options: unknown, name: string, limits: OsLimits = currentLimits()): KeepAliveOptions {
  const snapshot = optionsObject<KeepAliveOptions>(name, options, KNOWN, 'a keep-alive option');
  requestOf(snapshot, limits, name);
  return snapshot as KeepAliveOptions;
}

function requestOf(o: Snapshot<KeepAliveOptions>, limits: OsLimits, name: string): KeepAliveRequest {
  const enabled = booleanArg(`${name}.enabled`, o.enabled, true);
  const persist = booleanArg(`${name}.persist`, o.persist, false);

  const idle = time(o, 'idle', limits, name);
  const interval = time(o, 'interval', limits, name);
  const probes = count(o, limits, name);
  let timeout = userTimeout(o, limits, name);
  if (timeout === 'auto' && idle !== undefined && interval !== undefined && probes !== undefined) {
    // Known now: the effective (rounded) values, so one native call suffices.
    timeout = roundUpToSeconds(idle) + roundUpToSeconds(interval) * probes;
  }
  if (typeof timeout === 'number' && limits.userTimeout && timeout > limits.userTimeout.max) {
    throw outOfRange(`${name}.userTimeout`, `<= ${limits.userTimeout.max} (idle + interval × count)`, timeout);
  }
  if (timeout === 'auto' && limits.userTimeout) {
    // Fields left as the kernel has them are read at apply time; but if even
    // the smallest values they could have give too large a total, no kernel
    // can make this call succeed: refuse it now, before any socket exists.
    const least =
      roundUpToSeconds(idle ?? limits.idle?.min ?? 1) + roundUpToSeconds(interval ?? limits.interval?.min ?? 1) * (probes ?? limits.count?.min ?? 1);
    if (least > limits.userTimeout.max) {
      throw outOfRange(`${name}.userTimeout`, `'auto' (idle + interval × count) <= ${limits.userTimeout.max} even with the smallest kernel values`, least);
    }
  }

  let mask: number = Field.ENABLE;
  if (idle !== undefined) mask |= Field.IDLE;
  if (interval !== undefined) mask |= Field.INTERVAL;
  if (probes !== undefined) mask |= Field.COUNT;
  if (timeout !== undefined && timeout !== 'auto') mask |= Field.USER_TIMEOUT;
  return {
    mask,
    enabled,
    idleMs: idle ?? 0,
    intervalMs: interval ?? 0,
    count: probes ?? 0,
    userTimeoutMs: timeout ?? 0,
    persist,
  };
}
