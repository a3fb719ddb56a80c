/**
 * Argument checks shared by the public functions, so every one of them
 * refuses bad input the same way Node's own modules do.
 *
 * How an options object is read, everywhere: it must be a plain object
 * (prototype `Object.prototype` or `null`; a Map, an array or a class
 * instance is refused). Its own enumerable keys are read **once**, each value
 * exactly once (a getter runs once), into a snapshot the library uses from
 * then on; inherited properties are not read. A key the function does not
 * know is refused. If reading throws (a throwing getter, a revoked Proxy),
 * the error is `ERR_INVALID_ARG_VALUE` with the thrown value as `cause`.
 * @packageDocumentation
 */
import * as net from 'node:net';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';

/** The same snapshot type, with every key optional (what was given). */
export type Snapshot<T> = { readonly [K in keyof T]?: T[K] };

/** Runs `read`; anything it throws becomes ERR_INVALID_ARG_VALUE naming `name`, with the cause. */
function reading<R>(name: string, value: unknown, read: () => R): R {
  try {
    return read();
  } catch (cause) {
    const error = invalidArgValue(name, value, 'could not be read');
    (error as Error & { cause?: unknown }).cause = cause;
    throw error;
  }
}

/**
 * An options object, read once into a snapshot: `undefined` becomes an empty
 * snapshot; anything but a plain object is ERR_INVALID_ARG_TYPE; a key
 * outside `known` is ERR_INVALID_ARG_VALUE, because a misspelt option would
 * otherwise be a silent no-op.
 */
export function optionsObject<T extends object>(name: string, value: unknown, known: ReadonlySet<string>, what: string): Snapshot<T> {
  const snapshot = Object.create(null) as Record<string, unknown>;
  if (value === undefined) return snapshot as Snapshot<T>;
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  // Both can throw for a revoked Proxy.
  if (reading(name, value, () => Array.isArray(value))) throw invalidArgType(name, 'of type object', value);
  const proto = reading(name, value, () => Object.getPrototypeOf(value) as unknown);
  if (proto !== Object.prototype && proto !== null) throw invalidArgType(name, 'a plain object', value);
  const keys = reading(name, value, () => Reflect.ownKeys(value).filter((k) => Object.prototype.propertyIsEnumerable.call(value, k)));
  for (const key of keys) {
    if (typeof key !== 'string' || !known.has(key)) {
      throw invalidArgValue(`${name}.${String(key)}`, undefined, `is not ${what}`);
    }
    snapshot[key] = reading(`${name}.${key}`, value, () => (value as Record<string, unknown>)[key]);
  }
  return snapshot as Snapshot<T>;
}

/**
 * Reads the methods named in `required` and `optional` of an object that
 * provides callbacks (a transport): each is read once and must be a function;
 * an own enumerable key that is not one of them is refused. The functions
 * are returned as read, unbound: call them with the object as `this`
 * (binding each would cost a function object per call site, per connection).
 */
export function methodsOf<K extends string>(
  name: string,
  value: unknown,
  required: readonly K[],
  optional: readonly K[] = [],
): Record<K, ((...args: never[]) => unknown) | undefined> {
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  const known = new Set<string>([...required, ...optional]);
  const keys = reading(name, value, () => Reflect.ownKeys(value).filter((k) => Object.prototype.propertyIsEnumerable.call(value, k)));
  for (const key of keys) {
    if (typeof key !== 'string' || !known.has(key)) throw invalidArgValue(`${name}.${String(key)}`, undefined, 'is not a known method');
  }
  const out = {} as Record<K, ((...args: never[]) => unknown) | undefined>;
  for (const key of [...required, ...optional]) {
    const fn = reading(`${name}.${key}`, value, () => (value as Record<string, unknown>)[key]);
    if (fn === undefined && optional.includes(key)) continue;
    functionArg(`${name}.${key}`, fn);
    out[key] = fn as (...args: never[]) => unknown;
  }
  return out;
}

/** A function argument (or a method of an argument). */
export function functionArg(name: string, value: unknown): void {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

/** A boolean, or `undefined` (then `fallback`). */
export function booleanArg(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/**
 * Whether `value` is a socket Node constructed: an instance of net.Socket
 * that went through its constructor (which gives it its own stream state),
 * not an object merely built on its prototype.
 */
export function isNetSocket(value: unknown): value is net.Socket {
  return value instanceof net.Socket && Object.hasOwn(value, '_readableState') && Object.hasOwn(value, '_writableState');
}

/** A net.Socket or tls.TLSSocket (not a raw descriptor, not a look-alike). */
export function netSocket(name: string, value: unknown): asserts value is net.Socket {
  if (!isNetSocket(value)) throw invalidArgType(name, 'an instance of net.Socket or tls.TLSSocket', value);
}

/** An integer in [min, max]; `unit` ends the range text, e.g. ' (bytes)'. */
export function integerArg(name: string, value: unknown, min: number, max: number, unit: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) throw outOfRange(name, `an integer >= ${min} && <= ${max}${unit}`, value);
  return value;
}

/** A number in [min, max] (fractions allowed; NaN refused); `unit` ends the range text. */
export function numberArg(name: string, value: unknown, min: number, max: number, unit: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value >= min && value <= max)) throw outOfRange(name, `>= ${min} && <= ${max}${unit}`, value);
  return value;
}
