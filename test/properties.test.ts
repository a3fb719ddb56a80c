// Property-based checks (fast-check): for random valid options, set then get
// equals the documented rounding; for random invalid ones, an error with a
// code and nothing changed in the kernel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getKeepAlive, setKeepAlive, type KeepAliveOptions } from '../src/entry/main';
import { tcpPair, type Pair } from './helpers/sockets';

const up = (ms: number): number => Math.ceil(Math.ceil(ms) / 1000) * 1000;

describe.runIf(process.platform === 'linux')('setKeepAlive properties (Linux)', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await tcpPair();
  });
  afterAll(async () => {
    await pair.close();
  });

  const time = fc.double({ min: 1, max: 32_767_000, noNaN: true });
  const valid = fc.record(
    {
      enabled: fc.boolean(),
      idle: time,
      interval: time,
      count: fc.integer({ min: 1, max: 127 }),
      userTimeout: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constant('auto' as const)),
    },
    { requiredKeys: [] },
  );

  it('set then get equals the documented rounding, field by field', () => {
    fc.assert(
      fc.property(valid, (options: KeepAliveOptions) => {
        const before = getKeepAlive(pair.client);
        const expected = {
          enabled: options.enabled !== false,
          idle: options.idle === undefined ? before.idle : up(options.idle),
          interval: options.interval === undefined ? before.interval : up(options.interval),
          count: options.count ?? before.count,
          userTimeout: before.userTimeout,
        };
        if (typeof options.userTimeout === 'number') expected.userTimeout = options.userTimeout;
        if (options.userTimeout === 'auto') {
          const total = (expected.idle as number) + (expected.interval as number) * (expected.count as number);
          if (total > 2 ** 31 - 1) {
            // Too long for TCP_USER_TIMEOUT: refused before anything is applied.
            expect(() => setKeepAlive(pair.client, options)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
            expect(getKeepAlive(pair.client)).toEqual(before);
            return true;
          }
          expected.userTimeout = total;
        }
        expect(setKeepAlive(pair.client, options)).toEqual(expected);
        expect(getKeepAlive(pair.client)).toEqual(expected);
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  const invalidNumber = fc.oneof(
    fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, -1, 32_767_001, 1e300, -1e-9),
    fc.double({ max: 0.999, noNaN: true }),
    fc.double({ min: 32_767_000.001, noNaN: true }),
  );
  const wrongType = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.object(), fc.bigInt());
  const invalid = fc.oneof(
    fc.record({ idle: invalidNumber }),
    fc.record({ interval: invalidNumber }),
    fc.record({ count: fc.oneof(fc.integer({ min: 128 }), fc.integer({ max: 0 }), fc.double({ noInteger: true })) }),
    fc.record({ userTimeout: fc.oneof(fc.integer({ max: -1 }), fc.maxSafeNat().filter((x) => x >= 2 ** 31), fc.constant(NaN)) }),
    fc.record({ idle: wrongType }),
    fc.record({ count: wrongType }),
    fc.record({ enabled: fc.oneof(fc.integer(), fc.string()) }),
    fc.record({ [`x${Math.random().toString(36).slice(2, 6)}`]: fc.anything() }),
  );

  it('invalid options throw a coded TypeError/RangeError and change nothing', () => {
    setKeepAlive(pair.client, { idle: 9000, interval: 4000, count: 4, userTimeout: 20_000 });
    const before = getKeepAlive(pair.client);
    fc.assert(
      fc.property(invalid, fc.option(valid, { nil: undefined }), (bad, good) => {
        let thrown: unknown;
        try {
          setKeepAlive(pair.client, { ...good, ...bad } as KeepAliveOptions);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(Error);
        expect((thrown as { code: string }).code).toMatch(/^ERR_(INVALID_ARG_TYPE|OUT_OF_RANGE|INVALID_ARG_VALUE)$/);
        expect(getKeepAlive(pair.client)).toEqual(before);
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});
