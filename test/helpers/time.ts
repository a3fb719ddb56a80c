// Bounded waiting for tests: every wait has a limit and says what it waited for.
import { once, type EventEmitter } from 'node:events';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The next `event` of `emitter` (its arguments), within `ms`. Resolves on 'error' too when the event is 'close'. */
export function nextEvent<T extends unknown[] = unknown[]>(emitter: EventEmitter, event: string, ms = 5000): Promise<T> {
  return within(once(emitter, event) as Promise<T>, ms, `'${event}'`);
}

/** Resolves on 'close' without rejecting on 'error' (events.once would), within `ms`. */
export function closed(emitter: EventEmitter, ms = 5000): Promise<void> {
  return within(new Promise<void>((resolve) => emitter.once('close', () => resolve())), ms, "'close'");
}
