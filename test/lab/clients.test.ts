// One line protects the connections a service's drivers hold, proven as a
// user would see it: real PostgreSQL, Redis and an HTTP/1.1 server on the
// peer host; pg (Pool), ioredis, fetch (undici) and http.get with a
// keep-alive Agent on the client host, with nothing but protectConnections()
// — or `--import tcp-keepalive/register` — in the client process; then every
// packet between the hosts silently dropped (no FIN, RST or ICMP). For each
// client, mid-operation, idle, and idle then used 1 s after the cut, the
// application must be given an error within the policy's bound + 1 s, and
// without the policy not within 3 × the bound. Under this Node and Node 24
// (from the registry); the coverage table is printed.
import { beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { clientComparisonBlocker, renderClientTable, runClientComparison, type ClientResult, type ClientVariant } from '../helpers/harness';
import { nodeBinary } from '../platforms/node-binary.mjs';

const root = path.resolve(__dirname, '..', '..');
const POLICY = 'idle=1s,interval=1s,count=2,userTimeout=auto';
const IN_FORCE = { enabled: true, idle: 1000, interval: 1000, count: 2, userTimeout: 3000 };
const BOUND = 3000; // idle + interval × count, from the last ACK
const USE_AFTER = 1000;
const SLACK = 1000;
const CLIENTS = ['pg', 'redis', 'fetch', 'http'] as const;
const NODE_24 = '24.21.0';

const inCi = process.env.CI === 'true' || process.env.CI === '1';
const blocker = process.platform === 'linux' && process.arch === 'x64' ? clientComparisonBlocker(CLIENTS) : 'needs Linux x64';
if (blocker !== undefined && inCi) throw new Error(`CI=true but the client integration suite cannot run: ${blocker}`);
if (blocker !== undefined) console.warn(`[tcp-keepalive] skipping the client integration suite: ${blocker}`);

/** Whether this Node publishes net.client.socket for every client socket (22.17+; before, only for net.connect()). */
function publishesAll(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 17);
}
const here = `Node ${process.versions.node}`;
const there = `Node ${NODE_24}`;
const NONE_HERE = `${here}, no policy`;
const LIBRARY_HERE = `${here}, protectConnections`;
const PATCH_HERE = `${here}, protectConnections + patchSocketConnect`;
const FACTORY_HERE = `${here}, pg's stream: socketFactory(policy)`;
const NONE_THERE = `${there}, no policy`;
const LIBRARY_THERE = `${there}, protectConnections`;
const REGISTER_THERE = `${there}, --import tcp-keepalive/register`;

describe.runIf(blocker === undefined)('one line protects the clients a service uses (real servers, path silently dropped)', () => {
  let result: ClientResult;
  const rowsOf = (variant: string) => result.rows.filter((r) => r.variant === variant);

  beforeAll(async () => {
    const node24 = nodeBinary(NODE_24);
    const variants: ClientVariant[] = [
      { name: NONE_HERE, protection: 'none' },
      { name: LIBRARY_HERE, protection: 'library' },
      { name: PATCH_HERE, protection: 'library', patchSocketConnect: true },
      { name: FACTORY_HERE, protection: 'factory', clients: ['pg'] },
      { name: NONE_THERE, protection: 'none', node: node24 },
      { name: LIBRARY_THERE, protection: 'library', node: node24 },
      { name: REGISTER_THERE, protection: 'register', node: node24 },
    ];
    result = await runClientComparison({ clients: CLIENTS, variants, policy: POLICY, ownKeepAlive: 1000, cap: 3 * BOUND + 500, resolveFrom: root });
    console.info(renderClientTable(result));
  }, 600_000);

  it.each([
    [PATCH_HERE, CLIENTS.length],
    [FACTORY_HERE, 1],
    [LIBRARY_THERE, CLIENTS.length],
    [REGISTER_THERE, CLIENTS.length],
  ])('%s: every client, every use, gets an error within the bound + 1 s', (variant, clients) => {
    const late = rowsOf(variant).filter((r) => r.seenAfter === null || r.seenAfter > BOUND + SLACK + (r.mode === 'used' ? USE_AFTER : 0));
    expect(late).toEqual([]);
    expect(rowsOf(variant)).toHaveLength(clients * 3);
  });

  it('the policy is in force on every protected connection, read from the kernel — after the drivers\' own setKeepAlive (ioredis: 30 s)', () => {
    const covered = result.rows.filter((r) => r.variant !== NONE_HERE && r.variant !== NONE_THERE && !(r.variant === LIBRARY_HERE && r.client === 'pg' && !publishesAll(process.version)));
    expect(covered.filter((r) => JSON.stringify(r.keepAlive) !== JSON.stringify(IN_FORCE))).toEqual([]);
  });

  it(`${here} without patchSocketConnect: covered where Node publishes the socket, the gap (pg before Node 22.17) as documented`, () => {
    for (const r of rowsOf(LIBRARY_HERE)) {
      if (r.client === 'pg' && !publishesAll(process.version)) {
        expect(r.keepAlive?.enabled).toBe(false);
        expect(r.seenAfter).toBeNull();
      } else {
        expect(r.seenAfter).not.toBeNull();
        expect(r.seenAfter as number).toBeLessThanOrEqual(BOUND + SLACK + (r.mode === 'used' ? USE_AFTER : 0));
      }
    }
  });

  it.each([NONE_HERE, NONE_THERE])('%s: no client gives an error within 3 × the bound', (variant) => {
    expect(rowsOf(variant).filter((r) => r.seenAfter !== null && r.seenAfter <= 3 * BOUND)).toEqual([]);
  });

  it('a UNIX-domain Redis connection in the same process still answers after the cut; the policy counted it as not TCP', () => {
    expect(result.unix).toEqual([LIBRARY_HERE, PATCH_HERE, LIBRARY_THERE, REGISTER_THERE].map((variant) => ({ variant, ok: true })));
    for (const { stats } of result.stats) {
      expect(stats).toMatchObject({ skipped: { notTcp: 1, failed: 0 } });
      // ioredis's own setKeepAlive(true, 30000) on each of its three connections, put back.
      expect((stats as { repaired: number }).repaired).toBeGreaterThanOrEqual(3);
    }
  });
});
