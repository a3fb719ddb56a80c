// The channel and its server in the application's hands: an exception
// thrown by the application is the application's (never a protocol error of
// the peer), a closed socket is refused, and a connection that cannot be set
// up is reported on the server instead of crashing the process.
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { HeartbeatChannel, createHeartbeatServer, type HeartbeatServer } from '../../src/entry/heartbeat';
import { watch } from '../../src/entry/main';
import { listen, tcpPair } from '../helpers/sockets';
import { closed } from '../helpers/time';

const heartbeatEntry = path.resolve(__dirname, '..', '..', 'lib', 'entry', 'heartbeat.js');
const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe.runIf(process.platform === 'linux')("the application's own exceptions", () => {
  it("a throwing 'message' handler propagates like any listener's, and the next frames still decode", () => {
    // In a child process: the exception must reach 'uncaughtException', as from any EventEmitter.
    const script = `
      const net = require('node:net');
      const t = require(${JSON.stringify(heartbeatEntry)});
      const out = { uncaught: [], messages: [], protocolErrors: [], dead: [] };
      process.on('uncaughtException', (e) => out.uncaught.push(e.message));
      const server = t.createHeartbeatServer({ heartbeat: false }, (ch) => {
        ch.on('message', (m) => {
          out.messages.push(m.toString());
          if (m.toString() === 'two') throw new Error('application bug');
        });
        ch.on('protocolError', (e) => out.protocolErrors.push(e.violation));
        ch.on('dead', (r) => out.dead.push(r.reason));
      });
      server.listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1');
        const ch = new t.HeartbeatChannel(c, { heartbeat: false });
        ch.send('one'); ch.send('two'); ch.send('three');            // likely one chunk
        setTimeout(() => ch.send('four'), 100);                       // a later chunk
        setTimeout(() => { console.log(JSON.stringify(out)); process.exit(0); }, 400);
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      uncaught: ['application bug'],
      messages: ['one', 'two', 'three', 'four'],
      protocolErrors: [],
      dead: [],
    });
  });
});

describe.runIf(process.platform === 'linux')('closed sockets are refused', () => {
  it('watch() and new HeartbeatChannel() on a destroyed socket throw ERR_SOCKET_CLOSED, like the socket calls', async () => {
    const pair = await tcpPair();
    pair.client.destroy();
    await closed(pair.client);
    expect(() => watch(pair.client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => new HeartbeatChannel(pair.client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    // Destroyed but not closed yet counts too.
    const other = await tcpPair();
    other.client.destroy();
    expect(() => watch(other.client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    await Promise.all([pair.close(), other.close()]);
  });
});

describe.runIf(process.platform === 'linux')('createHeartbeatServer with options that fail', () => {
  it('refuses at creation what can be known then', () => {
    expect(() => createHeartbeatServer({ keepAlive: { interval: 32_767_000, count: 127, userTimeout: 'auto' } }, () => {})).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/userTimeout/) }),
    );
  });

  it("a failure setting up one connection destroys that socket and is reported as 'clientError', never thrown", async () => {
    // Only the kernel's default idle (7200 s) pushes this 'auto' total past the limit.
    const server = createHeartbeatServer({ keepAlive: { interval: 16_880_000, count: 127, userTimeout: 'auto' } }, () => {
      throw new Error('onChannel must not be called');
    }) as HeartbeatServer & net.Server;
    servers.push(server);
    const failures: Array<[Error & { code?: string }, net.Socket]> = [];
    server.on('clientError', (error: Error, socket: net.Socket) => failures.push([error, socket]));
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => {});
    await closed(client);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.[0]).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failures[0]?.[1].destroyed).toBe(true);
  });

  it("without a 'clientError' listener the failure becomes a process warning", async () => {
    const server = createHeartbeatServer({ keepAlive: { interval: 16_880_000, count: 127, userTimeout: 'auto' } }, () => {}) as net.Server;
    servers.push(server);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const port = await listen(server);
      const client = net.connect(port, '127.0.0.1');
      client.on('error', () => {});
      await closed(client);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.removeListener('warning', onWarning);
    }
    expect(warnings.map((w) => (w as { code?: string }).code)).toEqual(['ERR_OUT_OF_RANGE']);
  });
});
