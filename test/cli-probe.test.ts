// `tcp-keepalive probe` on loopback, without root: the compiled command
// against real connections, as an operator runs it. The cut-peer case runs
// in namespaces (test/timing/probe.test.ts).
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setKeepAlive } from '../src/entry/main';
import { tcpConnections } from '../src/socket';
import { listen, tcpPair } from './helpers/sockets';

const cli = path.join(__dirname, '..', 'lib', 'cli', 'main.js');
const cleanup: Array<() => unknown> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** Runs the command to its end (bounded); stdout, stderr and the exit code. */
function run(args: string[], timeoutMs = 15_000): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'probe', ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error ? ((error as { code?: number }).code ?? null) : 0 });
    });
  });
}

async function server(onConnection: (s: net.Socket) => void = () => {}): Promise<number> {
  const s = net.createServer((c) => {
    c.on('error', () => {});
    onConnection(c);
  });
  const port = await listen(s);
  cleanup.push(() => s.close());
  return port;
}

describe('tcp-keepalive probe HOST:PORT (connect)', () => {
  it('applies the settings, reads them back, and prints one JSON object per sample with the bound', async () => {
    const port = await server();
    const r = await run([`127.0.0.1:${port}`, '--idle', '2000', '--interval', '1000', '--count', '3', '--user-timeout', 'auto', '--every', '100', '--samples', '3', '--json']);
    expect(r.code).toBe(0);
    const samples = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(samples).toHaveLength(3);
    for (const s of samples) {
      expect(s).toMatchObject({ type: 'sample', state: 'ESTABLISHED', remote: `127.0.0.1:${port}` });
      expect(s.keepAlive).toMatchObject({ enabled: true, idle: 2000, interval: 1000, count: 3, userTimeout: 5000, source: 'socket' });
      // Counted from the last ACK: at most idle + interval × count, and no more than that minus the time since.
      expect(s.bound.idleMs).toBeLessThanOrEqual(5000);
      expect(s.bound.idleMs).toBe(Math.max(0, 5000 - s.lastAckReceivedAgo));
      expect(s.bound.sendingMs).toBe(Math.max(0, 5000 - s.lastAckReceivedAgo));
      expect(s.timer).toMatchObject({ kind: 'keepalive' });
      expect(s.timer.expiresInMs).toBeLessThanOrEqual(2000);
    }
  });

  it('without options, shows the settings in force and changes nothing', async () => {
    const port = await server();
    const r = await run([`127.0.0.1:${port}`, '--every', '50', '--samples', '1', '--json']);
    const [s] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(s.keepAlive).toMatchObject({ enabled: false, source: 'socket' });
    expect(s.timer).toBeNull();
    expect(s.bound).toEqual({ idleMs: null, sendingMs: null });
  });

  it('reports the death with its reason and ends with status 0', async () => {
    const port = await server((c) => setTimeout(() => c.resetAndDestroy(), 400));
    const r = await run([`127.0.0.1:${port}`, '--idle', '1000', '--every', '100']);
    expect(r.code).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1) as string;
    expect(last).toMatch(/dead: connection-reset \(ECONNRESET\), found by the peer/);
    expect(r.stdout.split('\n').filter((l) => l.includes('ESTABLISHED')).length).toBeGreaterThanOrEqual(2);
  });

  it('redraws in place on a terminal', async () => {
    const port = await server();
    const { stdout } = await new Promise<{ stdout: string }>((resolve) => {
      // util-linux's script gives the command a pseudo-terminal.
      execFile('script', ['-qec', `${process.execPath} ${cli} probe 127.0.0.1:${port} --every 100 --samples 2`, '/dev/null'], { timeout: 15_000 }, (_e, out) =>
        resolve({ stdout: out }),
      );
    });
    expect(stdout).toContain('\x1b[2K'); // each line cleared before it is drawn
    expect(stdout).toContain('\x1b[4A'); // the second sample goes back up over the first's four lines
    expect(stdout).toContain('dead if the peer is gone');
  });

  it('fails clearly: unreachable (1), usage errors (2), --help (0)', async () => {
    // A port nothing listens on any more.
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const refused = await run([`127.0.0.1:${free}`, '--samples', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot connect to 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    for (const [args, message] of [
      [['nonsense'], /is not HOST:PORT/],
      [['127.0.0.1:99999'], /is not HOST:PORT/],
      [['--sport', '1234', '--idle', '1000'], /attach read-only/],
      [['--sport', '0'], /--sport must be an integer from 1 to 65535/],
      [['127.0.0.1:80', '--every', 'often'], /--every must be an integer/],
      [['127.0.0.1:80', '--bogus'], /Unknown option '--bogus'/],
      [[], /give HOST:PORT/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code, String(args)).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n {2}tcp-keepalive probe db.internal:5432/);
  });
});

describe('tcp-keepalive probe --sport/--dport (attach, read-only)', () => {
  it("shows another process's connection from sock_diag: its keep-alive timer, its state, then that it is gone", async () => {
    const pair = await tcpPair();
    cleanup.push(() => void pair.close());
    setKeepAlive(pair.client, { idle: 3000, interval: 1000, count: 2 });
    const child = spawn(process.execPath, [cli, 'probe', '--sport', String(pair.client.localPort), '--every', '100', '--json']);
    cleanup.push(() => child.kill());
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    while (out.split('\n').length < 3) await new Promise((r) => setTimeout(r, 50));
    const [s] = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(s).toMatchObject({ type: 'sample', state: 'ESTABLISHED', local: `127.0.0.1:${pair.client.localPort}` });
    expect(s.timer).toMatchObject({ kind: 'keepalive', count: 0 });
    expect(s.timer.expiresInMs).toBeLessThanOrEqual(3000);
    expect(s.keepAlive.source).toBe('system defaults');
    // Read-only: the socket's settings are untouched.
    expect(tcpConnections({ localPort: pair.client.localPort as number })[0]?.timer?.kind).toBe('keepalive');
    pair.client.resetAndDestroy();
    pair.accepted.destroy();
    const [code] = (await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(() => r(['timeout']), 5000))])) as [number | string];
    expect(code).toBe(0);
    const last = JSON.parse(out.trim().split('\n').at(-1) as string);
    expect(last).toMatchObject({ type: 'gone', lastState: 'ESTABLISHED' });
  });

  it('says when nothing or several connections match', async () => {
    const pair = await tcpPair();
    cleanup.push(() => void pair.close());
    const port = (pair.server.address() as net.AddressInfo).port;
    const other = net.connect(port, '127.0.0.1');
    await once(other, 'connect');
    cleanup.push(() => other.destroy());
    const several = await run(['--dport', String(port), '--samples', '1']);
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(/2 connections with dport = :\d+; give both --sport and --dport/);
    const none = await run(['--sport', '1', '--samples', '1']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no TCP connection with sport = :1/);
  });
});

describe('tcpConnections (sock_diag)', () => {
  it('lists a connection by its ports with TCP_INFO and the timer, and refuses bad filters', async () => {
    const pair = await tcpPair();
    cleanup.push(() => void pair.close());
    const [c] = tcpConnections({ localPort: pair.client.localPort as number, remotePort: pair.client.remotePort as number });
    expect(c).toMatchObject({ family: 4, localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', timer: undefined, info: { state: 'ESTABLISHED' } });
    expect(c?.info.rttUs).toBeGreaterThan(0);
    expect(() => tcpConnections({ localPort: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => tcpConnections({ port: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
