// How every public function reads what it is given: own-property lookups
// only, integers where numbers are errnos, unknown keys refused in every
// options object (contexts and transports too), a net.Socket that Node made
// (not a look-alike built on its prototype), and options read exactly once,
// with a coded error when reading them throws.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { Heartbeat } from '../src/heartbeat';
import { HeartbeatChannel, createHeartbeat, createHeartbeatServer } from '../src/entry/heartbeat';
import { checkKeepAlive, classifyDeath, getKeepAlive, getTcpInfo, setKeepAlive, watch } from '../src/entry/main';
import { tcpPair } from './helpers/sockets';

const noop = (): void => {};
const coded = (code: string) => expect.objectContaining({ code });

describe('classifyDeath looks up only its own tables', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('the code %s is an unknown code, nothing inherited', (name) => {
    for (const input of [name, { code: name }, Object.assign(new Error(), { code: name })]) {
      const result = classifyDeath(input);
      expect(result).toEqual({ reason: 'unknown', detectedBy: 'kernel', code: name });
    }
  });

  it.each([NaN, 0.5, -0.5, Infinity, -Infinity, 2 ** 40 + 0.5])('the errno %s is refused: errnos are integers', (n) => {
    expect(() => classifyDeath(n)).toThrow(coded('ERR_OUT_OF_RANGE'));
  });

  it('a non-integer errno inside an error object is not an errno', () => {
    expect(classifyDeath({ errno: 0.5 })).toEqual({ reason: 'unknown', detectedBy: 'kernel' });
    expect(classifyDeath({ errno: NaN, code: 'ECONNRESET' })).toEqual({ reason: 'connection-reset', detectedBy: 'peer', code: 'ECONNRESET', errno: expect.any(Number) });
  });

  it('a misspelt context key is refused, not ignored (it would change the verdict)', () => {
    const info = { state: 'ESTABLISHED' as const, unackedSegments: 4 };
    expect(classifyDeath('ETIMEDOUT', { tcpInfo: info }).reason).toBe('retransmit-timeout');
    expect(() => classifyDeath('ETIMEDOUT', { tcpinfo: info } as never)).toThrow(coded('ERR_INVALID_ARG_VALUE'));
    expect(() => classifyDeath('ETIMEDOUT', { tcpInfo: 5 } as never)).toThrow(coded('ERR_INVALID_ARG_TYPE'));
    expect(() => classifyDeath('ETIMEDOUT', { keepAlive: 'on' } as never)).toThrow(coded('ERR_INVALID_ARG_TYPE'));
    expect(() => classifyDeath('ETIMEDOUT', { syscall: 5 } as never)).toThrow(coded('ERR_INVALID_ARG_TYPE'));
  });
});

describe('unknown keys are refused in every object the library reads', () => {
  it('a transport with an unknown key', () => {
    expect(() => new Heartbeat({ sendPing: noop, isdraining: () => false } as never)).toThrow(coded('ERR_INVALID_ARG_VALUE'));
    expect(() => createHeartbeat({ sendPing: noop, ondead: noop } as never)).toThrow(coded('ERR_INVALID_ARG_VALUE'));
  });
});

describe.runIf(process.platform === 'linux')('a net.Socket means one Node made', () => {
  const fake = (): net.Socket => Object.create(net.Socket.prototype) as net.Socket;
  it.each([
    ['setKeepAlive', () => setKeepAlive(fake(), { idle: 1000 })],
    ['getKeepAlive', () => getKeepAlive(fake())],
    ['getTcpInfo', () => getTcpInfo(fake())],
    ['checkKeepAlive', () => checkKeepAlive(fake())],
    ['watch', () => watch(fake())],
    ['HeartbeatChannel', () => new HeartbeatChannel(fake())],
  ])('%s(Object.create(net.Socket.prototype)) is ERR_INVALID_ARG_TYPE', (_name, call) => {
    expect(call).toThrow(coded('ERR_INVALID_ARG_TYPE'));
  });
});

describe.runIf(process.platform === 'linux')('options objects are read once, and reading them cannot fail without a code', () => {
  const throwing = (key: string): object =>
    Object.defineProperty({}, key, {
      enumerable: true,
      get(): number {
        throw new Error('getter threw');
      },
    });
  const revoked = (): object => {
    const { proxy, revoke } = Proxy.revocable({ idle: 1000 }, {});
    revoke();
    return proxy;
  };

  it.each([
    ['setKeepAlive', 'idle', (s: net.Socket, o: object) => setKeepAlive(s, o as never)],
    ['watch', 'sampleInterval', (s: net.Socket, o: object) => watch(s, o as never)],
    ['watch keepAlive', 'idle', (s: net.Socket, o: object) => watch(s, { keepAlive: o as never })],
    ['HeartbeatChannel', 'maxFrameBytes', (s: net.Socket, o: object) => new HeartbeatChannel(s, o as never)],
    ['HeartbeatChannel heartbeat', 'idle', (s: net.Socket, o: object) => new HeartbeatChannel(s, { heartbeat: o as never })],
    ['Heartbeat', 'idle', (_s: net.Socket, o: object) => new Heartbeat({ sendPing: noop }, o as never)],
    ['createHeartbeatServer', 'maxFrameBytes', (_s: net.Socket, o: object) => createHeartbeatServer(o as never, noop)],
  ])('%s: a throwing getter (%s) and a revoked Proxy give ERR_INVALID_ARG_VALUE with the cause', async (_name, key, call) => {
    const pair = await tcpPair();
    for (const options of [throwing(key), revoked()]) {
      let thrown: unknown;
      try {
        call(pair.client, options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', cause: expect.any(Error) });
    }
    expect(pair.client.listenerCount('error')).toBe(0);
    await pair.close();
  });

  it('each option is read exactly once', async () => {
    const pair = await tcpPair();
    const reads: Record<string, number> = {};
    const counted = <T extends object>(values: T): T => {
      const o = {};
      for (const [k, v] of Object.entries(values)) {
        Object.defineProperty(o, k, { enumerable: true, get: () => ((reads[k] = (reads[k] ?? 0) + 1), v) });
      }
      return o as T;
    };
    setKeepAlive(pair.client, counted({ idle: 2000, interval: 1000, count: 3, userTimeout: 'auto' as const, persist: true }));
    expect(reads).toEqual({ idle: 1, interval: 1, count: 1, userTimeout: 1, persist: 1 });
    await pair.close();
  });

  it('options must be plain objects: a Map, an array, a class instance are ERR_INVALID_ARG_TYPE', async () => {
    const pair = await tcpPair();
    class Options {
      idle = 2000;
    }
    for (const o of [new Map([['idle', 2000]]), [2000], new Options()]) {
      expect(() => setKeepAlive(pair.client, o as never)).toThrow(coded('ERR_INVALID_ARG_TYPE'));
    }
    expect(setKeepAlive(pair.client, Object.assign(Object.create(null) as object, { idle: 2000 }))).toMatchObject({ idle: 2000 });
    await pair.close();
  });
});
