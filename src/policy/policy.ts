/**
 * What a process-wide policy is: keep-alive options (persist on by default)
 * and whether to watch, read once; and the same policy written as one
 * environment variable, for `--import tcp-keepalive/register`.
 * @packageDocumentation
 */
import { booleanArg, invalidArgType, invalidArgValue, optionsObject, type Snapshot } from '../common';
import { validateWatchOptions } from '../death';
import { readKeepAliveOptions, type KeepAliveOptions } from '../socket';

/**
 * The keep-alive options of `setKeepAlive` (all times in ms;
 * `userTimeout: 'auto'` recommended), with `persist` on unless set to
 * `false`, plus `watch`.
 */
export interface ProtectionPolicy extends KeepAliveOptions {
  /**
   * Report each protected connection's death, once, through the handle's
   * `'dead'` event (report only: the socket is never destroyed for it).
   * `true`, or `{ sampleInterval }` (ms) for the watcher. Default `false`.
   */
  watch?: boolean | { sampleInterval?: number };
}

/** A policy read and checked. */
export interface ResolvedPolicy {
  /** What is applied to each socket (a snapshot, with persist). */
  keepAlive: KeepAliveOptions;
  /** The watcher's sampling period, ms; undefined when not watching. */
  sampleInterval: number | undefined;
}

const KEEPALIVE_KEYS = ['enabled', 'idle', 'interval', 'count', 'userTimeout', 'persist'] as const;
const POLICY_KEYS: ReadonlySet<string> = new Set([...KEEPALIVE_KEYS, 'watch']);

/** Reads and checks a policy once; throws Node-style errors as setKeepAlive would. */
export function resolvePolicy(policy: unknown, name = 'policy'): ResolvedPolicy {
  if (policy === undefined) throw invalidArgType(name, 'of type object', policy);
  const p = optionsObject<ProtectionPolicy>(name, policy, POLICY_KEYS, 'a policy option');
  const keepAlive: Record<string, unknown> = {};
  for (const key of KEEPALIVE_KEYS) if (p[key] !== undefined) keepAlive[key] = p[key];
  keepAlive.persist = booleanArg(`${name}.persist`, p.persist, true);
  return { keepAlive: readKeepAliveOptions(keepAlive, name), sampleInterval: watchInterval(p, name) };
}

function watchInterval(p: Snapshot<ProtectionPolicy>, name: string): number | undefined {
  const w = p.watch;
  if (w === undefined || w === false) return undefined;
  if (w === true) return validateWatchOptions(undefined).sampleInterval;
  if (w === null || typeof w !== 'object') throw invalidArgType(`${name}.watch`, 'of type boolean or object', w);
  const o = optionsObject<{ sampleInterval?: number }>(`${name}.watch`, w, new Set(['sampleInterval']), 'a watch option');
  return validateWatchOptions({ sampleInterval: o.sampleInterval }).sampleInterval;
}

/** The environment variable `tcp-keepalive/register` reads. */
export const POLICY_VARIABLE = 'TCP_KEEPALIVE';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/**
 * A policy written as `key=value` pairs separated by commas, e.g.
 * `idle=10s,interval=5s,count=3,userTimeout=auto,watch=true`: times take
 * `ms`, `s` or `m` (a bare number is ms), `count` an integer,
 * `persist`/`enabled`/`watch` `true` or `false`. Throws ERR_INVALID_ARG_VALUE
 * naming the part that is wrong.
 */
export function parsePolicy(text: string): ProtectionPolicy {
  const bad = (part: string, why: string): Error =>
    invalidArgValue(`${POLICY_VARIABLE}`, text, `has "${part}": ${why} (expected e.g. idle=10s,interval=5s,count=3,userTimeout=auto)`);
  const policy: Record<string, unknown> = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw bad(part, 'not key=value');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (Object.hasOwn(policy, key)) throw bad(part, `${key} is given twice`);
    if (key === 'idle' || key === 'interval' || key === 'userTimeout') {
      if (key === 'userTimeout' && value === 'auto') policy[key] = 'auto';
      else policy[key] = duration(value, (why) => bad(part, why));
    } else if (key === 'count') {
      if (!/^\d+$/.test(value)) throw bad(part, `"${value}" is not a whole number`);
      policy[key] = Number(value);
    } else if (key === 'persist' || key === 'enabled' || key === 'watch') {
      if (value !== 'true' && value !== 'false') throw bad(part, `"${value}" is not true or false`);
      policy[key] = value === 'true';
    } else {
      throw bad(part, `"${key}" is not a policy option (idle, interval, count, userTimeout, persist, enabled, watch)`);
    }
  }
  return policy as ProtectionPolicy;
}

function duration(value: string, bad: (why: string) => Error): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!m) throw bad(`"${value}" is not a duration (a number with ms, s or m, e.g. 10s)`);
  return Number(m[1]) * (UNITS[m[2] ?? 'ms'] as number);
}
