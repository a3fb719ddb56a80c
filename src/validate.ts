/**
 * Argument checks shared by the public functions, so every one of them
 * refuses bad input the same way Node's own modules do.
 * @packageDocumentation
 */
import * as net from 'node:net';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';

/**
 * An options object: `undefined` becomes `{}`; anything but a plain object is
 * a TypeError; a key outside `known` is ERR_INVALID_ARG_VALUE, because a
 * misspelt option would otherwise be a silent no-op.
 */
export function optionsObject<T extends object>(name: string, value: unknown, known: ReadonlySet<string>, what: string): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgType(name, 'of type object', value);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw invalidArgValue(`${name}.${key}`, (value as Record<string, unknown>)[key], `is not ${what}`);
  }
  return value as T;
}

/** A function argument (or a method of an argument). */
export function functionArg(name: string, value: unknown): void {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

/** A net.Socket or tls.TLSSocket (not a raw descriptor, not a look-alike). */
export function netSocket(name: string, value: unknown): asserts value is net.Socket {
  if (!(value instanceof net.Socket)) throw invalidArgType(name, 'an instance of net.Socket or tls.TLSSocket', value);
}

/** An integer in [min, max]; `unit` ends the range text, e.g. ' (bytes)'. */
export function integerArg(name: string, value: unknown, min: number, max: number, unit: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) throw outOfRange(name, `an integer >= ${min} && <= ${max}${unit}`, value);
  return value;
}
