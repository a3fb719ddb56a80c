/**
 * `tcp-keepalive probe`: an operator's view of one connection — its
 * TCP_INFO, its keep-alive timer, the bound within which it would be
 * declared dead with its settings and, when it dies, why. Connects (and may
 * apply settings), or attaches read-only to a connection of this machine.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { watch, type DeathReport } from '../death';
import { parseCommand, usageError } from './command-line';
import { getKeepAlive, getTcpInfo, setKeepAlive, tcpConnections, type KeepAliveOptions, type KeepAliveSettings, type MachineConnection, type TcpInfo } from '../socket';

/** `tcp-keepalive probe --help`. */
export const PROBE_HELP = `Usage: tcp-keepalive probe HOST:PORT [options]
       tcp-keepalive probe --sport N | --dport N [options]

Shows one TCP connection as the kernel sees it, once per --every: state, RTT,
retransmissions, unacknowledged segments, keep-alive probes out, the
keep-alive timer, and the bound within which the connection would be
declared dead with its settings; when it dies, the reason.

HOST:PORT connects to it (and applies the keep-alive options given, else
shows the settings in force). --sport/--dport attach instead to an existing
connection of this machine, chosen as \`ss sport = :N\` / \`dport = :N\` choose,
read-only: nothing is applied, nothing is sent (Linux; as root for sockets
of other users' processes in other namespaces).

Options:
  --idle MS               keep-alive: idle time before the first probe
  --interval MS           keep-alive: time between probes
  --count N               keep-alive: unanswered probes before the connection is dropped
  --user-timeout MS|auto  give-up time for unacknowledged data (auto = idle + interval × count)
  --sport N               attach to the connection with local port N
  --dport N               attach to the connection with remote port N
  --every MS              time between samples (default 1000)
  --samples N             stop after N samples (default: until the connection dies, or Ctrl-C)
  --json                  one JSON object per line: {"type":"sample"|"dead"|"gone", ...}
  -h, --help              this text

On a terminal the view is redrawn in place; otherwise one line per sample.
Exit status: 0 after the connection died or --samples were shown, 1 when it
could not be connected or found, 2 for a usage error.

Examples:
  tcp-keepalive probe db.internal:5432 --idle 10000 --interval 5000 --count 3 --user-timeout auto
  tcp-keepalive probe 127.0.0.1:6379
  tcp-keepalive probe --dport 5432 --json | jq .bound
  sudo ip netns exec app tcp-keepalive probe --sport 41234 --every 250
`;

function fail(message: string): never {
  return usageError('probe', message);
}

function number(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/** The bound within which the connection would be declared dead, from now, ms (null: never / unknown). */
interface Bound {
  /** With nothing unacknowledged: the keep-alive bound counted from the last ACK received. */
  idleMs: number | null;
  /** With data unacknowledged: the user timeout, or null (retransmission, ~15 minutes on Linux's defaults). */
  sendingMs: number | null;
}

/** One sample, as printed with --json. */
interface Sample {
  type: 'sample';
  at: string;
  local: string;
  remote: string;
  state: string;
  rttMs: number | null;
  retransmits: number | null;
  unackedSegments: number | null;
  probes: number | null;
  lastAckReceivedAgo: number | null;
  /** What is in force: read from the socket (connect), or the system's defaults (attach: not visible from outside). */
  keepAlive: (KeepAliveSettings & { source: 'socket' | 'system defaults' }) | null;
  timer: MachineConnection['timer'] | null;
  bound: Bound;
}

/** Linux's defaults for sockets that set nothing (net.ipv4.tcp_keepalive_*), ms. */
function systemDefaults(): KeepAliveSettings | null {
  try {
    const read = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim());
    return { enabled: true, idle: read('tcp_keepalive_time') * 1000, interval: read('tcp_keepalive_intvl') * 1000, count: read('tcp_keepalive_probes'), userTimeout: 0 };
  } catch {
    return null;
  }
}

function boundOf(k: KeepAliveSettings | null, info: TcpInfo): Bound {
  const sinceAck = info.lastAckReceivedAgo ?? 0;
  let idleMs: number | null = null;
  if (k && k.enabled && k.idle !== null && k.interval !== null && k.count !== null) {
    idleMs = Math.max(0, k.idle + k.interval * k.count - sinceAck);
  }
  const sendingMs = k && k.userTimeout ? Math.max(0, k.userTimeout - sinceAck) : null;
  return { idleMs, sendingMs };
}

function sampleOf(c: MachineConnection | undefined, info: TcpInfo, local: string, remote: string, keepAlive: Sample['keepAlive']): Sample {
  const timer = c?.timer ?? null;
  return {
    type: 'sample',
    at: new Date().toISOString(),
    local,
    remote,
    state: info.state,
    rttMs: info.rttUs === undefined ? null : info.rttUs / 1000,
    retransmits: info.retransmits ?? null,
    unackedSegments: info.unackedSegments ?? null,
    probes: info.probes ?? null,
    lastAckReceivedAgo: info.lastAckReceivedAgo ?? null,
    keepAlive,
    timer,
    bound: boundOf(keepAlive, info),
  };
}

const seconds = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '–' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);

function describeKeepAlive(k: Sample['keepAlive']): string {
  if (k === null) return 'keep-alive: unknown';
  if (!k.enabled) return 'keep-alive: off';
  const ut = k.userTimeout ? `, user timeout ${seconds(k.userTimeout)}` : ', no user timeout';
  return `keep-alive: idle ${seconds(k.idle)}, interval ${seconds(k.interval)}, count ${k.count}${ut}${k.source === 'socket' ? '' : ' (system defaults: a process may have set others)'}`;
}

function lines(s: Sample): string[] {
  const timer = s.timer ? `${s.timer.kind} in ${seconds(s.timer.expiresInMs)}${s.timer.count ? ` (${s.timer.count} out)` : ''}` : 'none';
  const idle = s.bound.idleMs === null ? 'never (keep-alive off)' : `within ${seconds(s.bound.idleMs)}`;
  const sending = s.bound.sendingMs === null ? 'retransmission only (~15 min at Linux defaults)' : `within ${seconds(s.bound.sendingMs)}`;
  return [
    `${s.local} → ${s.remote}  ${s.state}`,
    `rtt ${s.rttMs === null ? '–' : `${s.rttMs.toFixed(3)} ms`}  retransmits ${s.retransmits ?? '–'}  unacked ${s.unackedSegments ?? '–'}  probes out ${s.probes ?? '–'}  last ACK ${seconds(s.lastAckReceivedAgo)} ago`,
    `${describeKeepAlive(s.keepAlive)}  timer: ${timer}`,
    `dead if the peer is gone: idle ${idle}; sending ${sending}`,
  ];
}

/** Prints samples: redrawn in place on a terminal, one line each otherwise, or JSON lines. */
class Printer {
  private drawn = 0;
  constructor(
    private readonly json: boolean,
    private readonly tty: boolean,
  ) {}

  sample(s: Sample): void {
    if (this.json) return this.write(JSON.stringify(s));
    const ls = lines(s);
    if (!this.tty) return this.write(`${s.at} ${ls.join(' | ')}`);
    // Up over what was drawn, then each line cleared and drawn again.
    if (this.drawn > 0) process.stdout.write(`\x1b[${this.drawn}A`);
    process.stdout.write(ls.map((l) => `\x1b[2K${l}\n`).join(''));
    this.drawn = ls.length;
  }

  end(event: Record<string, unknown> & { type: 'dead' | 'gone' }, text: string): void {
    this.drawn = 0;
    this.write(this.json ? JSON.stringify({ ...event, at: new Date().toISOString() }) : `${this.tty ? '' : `${new Date().toISOString()} `}${text}`);
  }

  private write(line: string): void {
    process.stdout.write(`${line}\n`);
  }
}

/** Runs `tcp-keepalive probe` with its arguments. */
export async function probe(argv: string[]): Promise<void> {
  const parsed = parseCommand('probe', PROBE_HELP, argv, {
    idle: { type: 'string' },
    interval: { type: 'string' },
    count: { type: 'string' },
    'user-timeout': { type: 'string' },
    sport: { type: 'string' },
    dport: { type: 'string' },
    every: { type: 'string' },
    samples: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  }, true);
  if (parsed === undefined) return;
  const v = parsed.values;
  const every = number('every', v.every, 10, 3_600_000) ?? 1000;
  const samples = number('samples', v.samples, 1, Number.MAX_SAFE_INTEGER);
  const sport = number('sport', v.sport, 1, 65535);
  const dport = number('dport', v.dport, 1, 65535);
  const target = parsed.positionals[0];
  if (parsed.positionals.length > 1) fail(`one HOST:PORT only, got ${parsed.positionals.join(' ')}`);
  const printer = new Printer(v.json as boolean, Boolean(process.stdout.isTTY) && !v.json);

  const options: KeepAliveOptions = {};
  const idle = number('idle', v.idle, 1, 2 ** 31 - 1);
  const interval = number('interval', v.interval, 1, 2 ** 31 - 1);
  const count = number('count', v.count, 1, 1000);
  if (idle !== undefined) options.idle = idle;
  if (interval !== undefined) options.interval = interval;
  if (count !== undefined) options.count = count;
  const ut = v['user-timeout'];
  if (ut !== undefined) options.userTimeout = ut === 'auto' ? 'auto' : (number('user-timeout', ut, 0, 2 ** 31 - 1) as number);
  const applying = Object.keys(options).length > 0;

  if (sport !== undefined || dport !== undefined) {
    if (target !== undefined) fail('give HOST:PORT or --sport/--dport, not both');
    if (applying) fail('--sport/--dport attach read-only: no keep-alive option can be applied');
    return attach({ localPort: sport, remotePort: dport }, every, samples, printer);
  }
  if (target === undefined) fail('give HOST:PORT, or --sport/--dport to attach to a connection of this machine');
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(target);
  const host = m?.[1] ?? m?.[2];
  const port = m ? Number(m[3]) : NaN;
  if (host === undefined || !(port >= 1 && port <= 65535)) fail(`"${target}" is not HOST:PORT`);
  return connect(host, port, applying ? options : undefined, every, samples, printer);
}

/** Connect mode: our own socket, settings applied or read, death reported by the watcher. */
async function connect(host: string, port: number, options: KeepAliveOptions | undefined, every: number, samples: number | undefined, printer: Printer): Promise<void> {
  const socket = net.connect({ host, port });
  socket.on('data', () => {}); // read and discard whatever the peer sends
  socket.on('error', () => {}); // reported through the watcher's report
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
  } catch (error) {
    process.stderr.write(`tcp-keepalive probe: cannot connect to ${host}:${port}: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  let settings: KeepAliveSettings;
  try {
    settings = options ? (setKeepAlive(socket, options) as KeepAliveSettings) : getKeepAlive(socket);
  } catch (error) {
    socket.destroy();
    process.stderr.write(`tcp-keepalive probe: ${(error as Error).message}\n`);
    process.exitCode = options ? 2 : 1;
    return;
  }
  const local = `${socket.localAddress}:${socket.localPort}`;
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  const watcher = watch(socket, { sampleInterval: Math.min(every, 1000) });
  let shown = 0;
  await new Promise<void>((resolve) => {
    const show = (): void => {
      if (socket.destroyed) return;
      // The kernel's listing has the timer and TCP_INFO alike; our own socket is read directly only if it is missing there.
      const listed = tcpConnections({ localPort: socket.localPort as number, remotePort: socket.remotePort as number })[0];
      printer.sample(sampleOf(listed, listed?.info ?? getTcpInfo(socket), local, remote, { ...settings, source: 'socket' }));
      if (samples !== undefined && ++shown >= samples) finish();
    };
    const timer = setInterval(show, every);
    const finish = (): void => {
      clearInterval(timer);
      process.off('SIGINT', finish);
      watcher.stop();
      socket.destroy();
      resolve();
    };
    watcher.on('dead', (r: DeathReport) => {
      const silence = r.lastDataReceivedAgo;
      printer.end(
        { type: 'dead', reason: r.reason, code: r.code ?? null, detectedBy: r.detectedBy, lastDataReceivedAgo: silence ?? null },
        `dead: ${r.reason}${r.code ? ` (${r.code})` : ''}, found by the ${r.detectedBy}${silence === undefined ? '' : `, ${seconds(silence)} after data last arrived`}`,
      );
      finish();
    });
    process.once('SIGINT', finish);
    show();
  });
}

/** Attach mode: a connection of this machine, looked at through sock_diag only. */
async function attach(filter: { localPort?: number; remotePort?: number }, every: number, samples: number | undefined, printer: Printer): Promise<void> {
  const chosen = { ...(filter.localPort ? { localPort: filter.localPort } : {}), ...(filter.remotePort ? { remotePort: filter.remotePort } : {}) };
  const candidates = tcpConnections(chosen).filter((c) => c.info.state !== 'LISTEN');
  const what = `${filter.localPort ? ` sport = :${filter.localPort}` : ''}${filter.remotePort ? ` dport = :${filter.remotePort}` : ''}`;
  if (candidates.length === 0) {
    process.stderr.write(`tcp-keepalive probe: no TCP connection with${what} in this network namespace\n`);
    process.exitCode = 1;
    return;
  }
  if (candidates.length > 1) {
    const list = candidates.map((c) => `  ${c.localAddress}:${c.localPort} → ${c.remoteAddress}:${c.remotePort} ${c.info.state}`).join('\n');
    process.stderr.write(`tcp-keepalive probe: ${candidates.length} connections with${what}; give both --sport and --dport:\n${list}\n`);
    process.exitCode = 1;
    return;
  }
  const first = candidates[0] as MachineConnection;
  const key = { localPort: first.localPort, remotePort: first.remotePort };
  const local = `${first.localAddress}:${first.localPort}`;
  const remote = `${first.remoteAddress}:${first.remotePort}`;
  const defaults = systemDefaults();
  let shown = 0;
  let last: MachineConnection = first;
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      clearInterval(timer);
      process.off('SIGINT', finish);
      resolve();
    };
    const show = (): void => {
      const now = tcpConnections(key).find((c) => c.localAddress === first.localAddress && c.remoteAddress === first.remoteAddress && c.inode === first.inode);
      if (now === undefined || now.info.state === 'CLOSED') {
        const hint =
          (last.info.probes ?? 0) > 0 ? 'keep-alive probes were out' : (last.info.retransmits ?? 0) > 0 ? 'retransmissions were out' : 'nothing was outstanding';
        printer.end(
          { type: 'gone', lastState: last.info.state, probes: last.info.probes ?? null, retransmits: last.info.retransmits ?? null },
          `gone: the connection is no longer listed (last seen ${last.info.state}; ${hint}); only its owner knows the error`,
        );
        finish();
        return;
      }
      last = now;
      // A keep-alive timer pending is the kernel's word that SO_KEEPALIVE is
      // on; its values are the socket's own, which sock_diag does not show.
      const keepAlive = defaults && now.timer?.kind === 'keepalive' ? { ...defaults, source: 'system defaults' as const } : null;
      printer.sample(sampleOf(now, now.info, local, remote, keepAlive));
      if (samples !== undefined && ++shown >= samples) finish();
    };
    const timer = setInterval(show, every);
    process.once('SIGINT', finish);
    show();
  });
}
