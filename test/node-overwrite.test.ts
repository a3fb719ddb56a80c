// Node's own socket.setKeepAlive(true, ms) resets interval to 1 s and count
// to 10 (libuv). checkKeepAlive reports it; persist keeps ours in force.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import * as net from 'node:net';
import { setKeepAlive, getKeepAlive, checkKeepAlive, whenKeepAliveApplied } from '../src/entry/main';
import { listen, tcpPair, type Pair } from './helpers/sockets';

describe.runIf(process.platform === 'linux')("Node's own setKeepAlive", () => {
  let pair: Pair;
  beforeEach(async () => {
    pair = await tcpPair();
  });
  afterEach(async () => {
    await pair.close();
  });

  it('overwrites interval and count, and checkKeepAlive says so', () => {
    expect(checkKeepAlive(pair.client)).toBeNull();
    setKeepAlive(pair.client, { idle: 5000, interval: 3000, count: 4 });
    expect(checkKeepAlive(pair.client)).toMatchObject({ intact: true, changed: [] });
    pair.client.setKeepAlive(true, 9000);
    expect(getKeepAlive(pair.client)).toMatchObject({ idle: 9000, interval: 1000, count: 10 });
    expect(checkKeepAlive(pair.client)).toMatchObject({
      intact: false,
      changed: ['idle', 'interval', 'count'],
      expected: { idle: 5000, interval: 3000, count: 4 },
      actual: { idle: 9000, interval: 1000, count: 10 },
    });
  });

  it('persist: true re-applies our settings after Node changes them', () => {
    setKeepAlive(pair.client, { idle: 5000, interval: 3000, count: 4, userTimeout: 'auto', persist: true });
    pair.client.setKeepAlive(true, 9000);
    expect(getKeepAlive(pair.client)).toEqual({ enabled: true, idle: 5000, interval: 3000, count: 4, userTimeout: 17_000 });
    pair.client.setKeepAlive(true, 11_000);
    expect(checkKeepAlive(pair.client)?.intact).toBe(true);
    // Turning keep-alive off through Node is honoured, and on again restores ours.
    pair.client.setKeepAlive(false);
    expect(getKeepAlive(pair.client).enabled).toBe(false);
    pair.client.setKeepAlive(true, 1000);
    expect(getKeepAlive(pair.client)).toMatchObject({ enabled: true, idle: 5000, interval: 3000, count: 4 });
  });

  // Measured on Node 20: the agent's first setKeepAlive(true, keepAliveMsecs)
  // runs at connect, before 'connect' listeners, and its later calls on
  // reuse are cached by Node while the delay is unchanged. Node overwrites as
  // soon as the delay differs: here the agent's keepAliveMsecs changes.
  it('http.Agent overwrites when its delay changes on socket reuse; persist prevents it', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    const port = await listen(server as unknown as net.Server);
    const get = (agent: http.Agent, onSocket?: (s: net.Socket) => void) =>
      new Promise<net.Socket>((resolve, reject) => {
        const req = http.get({ port, host: '127.0.0.1', agent }, (res) => {
          res.resume();
          res.on('end', () => setImmediate(() => resolve(req.socket as net.Socket)));
        });
        req.on('error', reject);
        if (onSocket) req.once('socket', onSocket);
      });
    try {
      for (const persist of [false, true]) {
        const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 1 });
        const socket = await get(agent, (s) => {
          setKeepAlive(s, { idle: 4000, interval: 2000, count: 3, persist });
          (agent as http.Agent & { keepAliveMsecs: number }).keepAliveMsecs = 3000;
        });
        await whenKeepAliveApplied(socket);
        const reused = await get(agent);
        expect(reused).toBe(socket);
        const check = checkKeepAlive(socket);
        if (persist) {
          expect(check).toMatchObject({ intact: true, actual: { idle: 4000, interval: 2000, count: 3 } });
        } else {
          expect(check).toMatchObject({ intact: false, actual: { idle: 3000, interval: 1000, count: 10 } });
        }
        agent.destroy();
      }
    } finally {
      server.close();
    }
  });
});
