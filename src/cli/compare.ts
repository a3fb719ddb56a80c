/**
 * `tcp-keepalive compare`: kills real peers and measures which mechanism
 * notices, how fast, and with which error.
 * @packageDocumentation
 */
import { writeFileSync } from 'node:fs';
import { parsePolicy } from '../policy';
import { parseCommand, usageError } from './command-line';
import { compareClients } from './compare-clients';
import {
  DRIVER_NAMES,
  METHODS,
  SCALES,
  SCENARIOS,
  boundsOf,
  renderHtml,
  renderTable,
  runComparison,
  type LabSettings,
  type DriverName,
  type MethodName,
  type ScenarioName,
} from '../lab';

/** `tcp-keepalive compare --help`. */
export const COMPARE_HELP = `Usage: tcp-keepalive compare [options]

Kills real peers (in Linux network namespaces when run as root; on loopback
otherwise) and measures, for each way of detecting a dead peer, whether it
notices, how fast, and with which error.

Options:
  --scale fast|realistic   preset timings (default fast: about a minute on 2 cores;
                           realistic: keep-alive 30 s/10 s/3, heartbeat 10 s/3 s/3, ~5 min)
  --scenarios LIST         comma-separated, default all:
                           ${SCENARIOS.map((s) => s.name).join(', ')}
  --methods LIST           comma-separated, default all this Node can run:
                           ${METHODS.map((m) => m.name).join(', ')}
                           (node-full: Node 24.21+ / 26.4+ only, with the ka- settings)
  --ka-idle MS             kernel keep-alive idle time
  --ka-interval MS         kernel keep-alive probe interval
  --ka-count N             kernel keep-alive probe count
  --user-timeout MS|auto   user timeout of the keepalive-ut method (auto = idle + interval × count)
  --node-idle MS           the delay given to Node's socket.setKeepAlive(true, ms)
  --hb-idle MS             heartbeat: silence before the first PING
  --hb-interval MS         heartbeat: time between PINGs
  --hb-count N             heartbeat: unanswered PINGs before death
  --concurrency N          scenarios run at once (default 2)
  --clients LIST           instead: your own database and HTTP clients (comma-separated:
                           pg, redis, fetch, http) against real PostgreSQL, Redis and HTTP
                           servers in namespaces (root; Debian's postgresql, redis-server,
                           nftables), the drivers taken from the project you run it in;
                           each with its defaults, its own keep-alive, and --policy
  --policy TEXT            with --clients: the policy, as TCP_KEEPALIVE takes it
                           (default idle=1s,interval=1s,count=2,userTimeout=auto)
  --own-keepalive MS       with --clients: the delay given to each client's own keep-alive
                           option (default 1000)
  --cap MS                 with --clients: how long to wait after the cut (default 60000)
  --node PATH              with --clients: the Node that runs the clients (default this one)
  --json FILE              write machine-readable results
  --html FILE              write a self-contained report with a chart
  --no-color               plain table
  -h, --help               this text

Examples:
  sudo npx tcp-keepalive compare
  sudo npx tcp-keepalive compare --scenarios process-hang,host-gone-sending --html report.html
  sudo npx tcp-keepalive compare --scale realistic --json results.json
  npx tcp-keepalive compare --ka-idle 2000 --hb-idle 1000 --hb-interval 500
  sudo npx tcp-keepalive compare --clients pg,redis,fetch,http
`;

function fail(message: string): never {
  return usageError('compare', message);
}

function positive(name: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) fail(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  return n;
}

function list<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((v) => v.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) fail(`unknown ${name} "${item}"; choose from ${allowed.join(', ')}`);
  return items as T[];
}

/** Runs `tcp-keepalive compare` with its arguments. */
export async function compare(argv: string[]): Promise<void> {
  const parsed = parseCommand('compare', COMPARE_HELP, argv, {
    scale: { type: 'string', default: 'fast' },
    scenarios: { type: 'string' },
    methods: { type: 'string' },
    'ka-idle': { type: 'string' },
    'ka-interval': { type: 'string' },
    'ka-count': { type: 'string' },
    'user-timeout': { type: 'string' },
    'node-idle': { type: 'string' },
    'hb-idle': { type: 'string' },
    'hb-interval': { type: 'string' },
    'hb-count': { type: 'string' },
    concurrency: { type: 'string' },
    clients: { type: 'string' },
    policy: { type: 'string', default: 'idle=1s,interval=1s,count=2,userTimeout=auto' },
    'own-keepalive': { type: 'string' },
    cap: { type: 'string' },
    node: { type: 'string' },
    json: { type: 'string' },
    html: { type: 'string' },
    'no-color': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (parsed === undefined) return;
  const v = parsed.values;
  if (v.clients !== undefined) {
    try {
      parsePolicy(v.policy as string);
    } catch (error) {
      fail(`--policy ${(error as Error).message.replace(/^The argument 'TCP_KEEPALIVE' /, '')}`);
    }
    return compareClients({
      clients: list<DriverName>('client', v.clients, DRIVER_NAMES) as DriverName[],
      policy: v.policy as string,
      ownKeepAlive: positive('own-keepalive', v['own-keepalive']) ?? 1000,
      cap: positive('cap', v.cap) ?? 60_000,
      node: v.node,
      json: v.json,
    });
  }
  if (v.scale !== 'fast' && v.scale !== 'realistic') fail(`--scale must be fast or realistic, got "${v.scale}"`);
  const base = SCALES[v.scale as 'fast' | 'realistic'];
  const ut = v['user-timeout'];
  const settings: LabSettings = {
    ...base,
    keepAlive: {
      idle: positive('ka-idle', v['ka-idle']) ?? base.keepAlive.idle,
      interval: positive('ka-interval', v['ka-interval']) ?? base.keepAlive.interval,
      count: positive('ka-count', v['ka-count'], true) ?? base.keepAlive.count,
    },
    userTimeout: ut === undefined || ut === 'auto' ? 'auto' : (positive('user-timeout', ut) as number),
    nodeIdle: positive('node-idle', v['node-idle']) ?? base.nodeIdle,
    heartbeat: {
      idle: positive('hb-idle', v['hb-idle']) ?? base.heartbeat.idle,
      interval: positive('hb-interval', v['hb-interval']) ?? base.heartbeat.interval,
      count: positive('hb-count', v['hb-count'], true) ?? base.heartbeat.count,
    },
  };
  const scenarios = list<ScenarioName>('scenario', v.scenarios, SCENARIOS.map((s) => s.name));
  const methods = list<MethodName>('method', v.methods, METHODS.map((m) => m.name));
  for (const m of METHODS.filter((x) => methods?.includes(x.name))) {
    const why = m.unavailable?.();
    if (why) fail(`method ${m.name} ${why}`);
  }
  const concurrency = positive('concurrency', v.concurrency, true) ?? 2;
  const colour = !v['no-color'] && process.stdout.isTTY === true && !process.env.NO_COLOR;

  const bounds = boundsOf(settings);
  const total = (scenarios ?? SCENARIOS.map((s) => s.name)).length;
  process.stderr.write(
    `tcp-keepalive compare: ${total} scenarios × ${(methods ?? METHODS.filter((m) => !m.unavailable?.())).length} methods, up to ${(bounds.cap / 1000).toFixed(1)} s each after the fault, ${concurrency} at a time\n`,
  );

  // Live progress: a status line redrawn on a terminal, plain lines otherwise.
  const running = new Map<string, { startedAt: number; phase: string }>();
  let done = 0;
  const tty = process.stderr.isTTY === true;
  const draw = (): void => {
    const now = Date.now();
    const items = [...running].map(([name, r]) => `${name} ${r.phase} ${((now - r.startedAt) / 1000).toFixed(0)}s`);
    process.stderr.write(`\r\x1b[2K[${done}/${total}] ${items.join(' | ')}`);
  };
  const ticker = tty ? setInterval(draw, 250) : undefined;
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: cleaning up namespaces and processes...\n');
    controller.abort();
  });
  const result = await runComparison({
    settings,
    scale: v.scale as string,
    scenarios,
    methods,
    concurrency,
    signal: controller.signal,
    onProgress: (event) => {
      const name = event.scenario.name;
      if (event.type === 'start') {
        running.set(name, { startedAt: Date.now(), phase: 'setting up' });
        if (!tty) process.stderr.write(`▶ ${name}: ${event.scenario.title} (up to ${(event.cap / 1000).toFixed(1)} s after the fault)\n`);
      } else if (event.type === 'fault') {
        const r = running.get(name);
        if (r) {
          r.phase = 'fault injected, watching';
          r.startedAt = Date.now();
        }
      } else {
        running.delete(name);
        done++;
        const found = event.rows.filter((r) => r.detected).map((r) => `${r.method} ${((r.detectedAfter as number) / 1000).toFixed(2)}s`);
        const line = `✔ ${name}: ${found.length ? found.join(', ') : 'nothing detected'}`;
        process.stderr.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
      }
    },
  });
  if (ticker) clearInterval(ticker);
  if (tty) process.stderr.write('\r\x1b[2K');

  process.stdout.write(`${renderTable(result, colour)}\n`);
  if (v.json) {
    writeFileSync(v.json, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`JSON written to ${v.json}\n`);
  }
  if (v.html) {
    writeFileSync(v.html, renderHtml(result));
    process.stderr.write(`HTML report written to ${v.html}\n`);
  }
  if (controller.signal.aborted) process.exitCode = 130;
}
