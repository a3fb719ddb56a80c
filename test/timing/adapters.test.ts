// Heartbeat adapters against real peers on loopback: the `ws` WebSocket
// server and client, and Node's HTTP/2 (with a server process we can stop).
import { afterEach, describe, expect, it } from 'vitest';
import * as http2 from 'node:http2';
import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { WebSocket, WebSocketServer } from 'ws';
import { heartbeatHttp2, heartbeatWebSocket, createHeartbeat, type HeartbeatDeath } from '../../src/entry/heartbeat';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const HB = { idle: 100, interval: 100, count: 2, jitter: 0 }; // bound 300 ms
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function wsServer(options: { autoPong?: boolean } = {}): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: options.autoPong ?? true });
  await once(server, 'listening');
  cleanups.push(() => server.close());
  const { port } = server.address() as { port: number };
  return { server, url: `ws://127.0.0.1:${port}` };
}

describe('ws adapter', () => {
  it('stays alive with a server that pongs, with RTT samples', async () => {
    const { url } = await wsServer();
    const ws = new WebSocket(url);
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    const hb = heartbeatWebSocket(ws, HB);
    let dead = false;
    hb.on('dead', () => (dead = true));
    await sleep(1000);
    expect(dead).toBe(false);
    expect(hb.rtt.samples).toBeGreaterThan(2);
    expect(hb.rtt.smoothed).toBeLessThan(50);
  });

  it('a server application that stops answering is declared dead and the socket terminated', async () => {
    const { url } = await wsServer({ autoPong: false });
    const ws = new WebSocket(url);
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    const started = Date.now();
    const death = await new Promise<HeartbeatDeath>((resolve) => heartbeatWebSocket(ws, { ...HB, onDead: resolve }));
    expect(Date.now() - started).toBeLessThanOrEqual(300 + 60 + 100);
    expect(death).toMatchObject({ bound: 300, unansweredPings: 2 });
    await once(ws, 'close');
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });

  it('works on the server side, reaping a client that does not answer', async () => {
    const { server, url } = await wsServer();
    const reaped = new Promise<HeartbeatDeath>((resolve) =>
      server.on('connection', (socket) => heartbeatWebSocket(socket, { ...HB, onDead: resolve })),
    );
    const ws = new WebSocket(url, { autoPong: false });
    cleanups.push(() => ws.terminate());
    const death = await reaped;
    expect(death.unansweredPings).toBe(2);
  });
});

describe('HTTP/2 adapter', () => {
  async function h2ServerProcess(): Promise<{ child: ChildProcess; port: number }> {
    const script = `
      const http2 = require('node:http2');
      const server = http2.createServer();
      server.on('stream', (s) => { s.respond({ ':status': 200 }); s.end('ok'); });
      server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    return { child, port: Number(line) };
  }

  it('alive while the server acknowledges pings; dead when its process hangs', async () => {
    const { child, port } = await h2ServerProcess();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    cleanups.push(() => session.destroy());
    session.on('error', () => {});
    await once(session, 'connect');
    let death: HeartbeatDeath | undefined;
    const hb = heartbeatHttp2(session, { ...HB, onDead: (d) => (death = d) });
    await sleep(800);
    expect(death).toBeUndefined();
    expect(hb.rtt.samples).toBeGreaterThan(1);
    child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    while (!death && Date.now() - stoppedAt < 3000) await sleep(20);
    expect(death).toBeDefined();
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(300 + 100 + 200);
    expect(session.destroyed).toBe(true);
  });
});

describe('generic adapter', () => {
  it('drives any protocol through sendPing / pong / received', async () => {
    let hbRef: ReturnType<typeof createHeartbeat> | undefined;
    const hb = createHeartbeat({ ...HB, sendPing: (seq, ts) => setTimeout(() => hbRef?.pong(seq, ts), 2) });
    hbRef = hb;
    await sleep(600);
    expect(hb.dead).toBe(false);
    expect(hb.rtt.samples).toBeGreaterThan(1);
    hb.stop();
  });
});
