#!/usr/bin/env node
// A dependency-free check of the addon and the API, for Node versions the
// test runner does not support (Node 18): plain node:assert on real loopback
// sockets. Prints "N passed, M failed" and exits non-zero on any failure.
// Run: node test/platforms/addon-smoke.mjs
// TCP_KEEPALIVE_SMOKE_ROOT: the package to test (default: this repository),
// e.g. an installed node_modules/tcp-keepalive. TCP_KEEPALIVE_SMOKE_QEMU=1:
// qemu-user hands TCP_INFO back as a 4-byte int, so only the state is
// checked there (the struct's layout is asserted at compile time).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = process.env.TCP_KEEPALIVE_SMOKE_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const underQemu = process.env.TCP_KEEPALIVE_SMOKE_QEMU === '1';
const lib = require(path.join(root, 'lib', 'entry', 'main.js'));
const heartbeat = require(path.join(root, 'lib', 'entry', 'heartbeat.js'));
const esm = await import(path.join(root, 'lib', 'entry', 'main.mjs'));
const { bindingPath } = require(path.join(root, 'lib', 'native'));

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
  } catch (error) {
    failed++;
    console.error(`✗ ${name}: ${error.stack ?? error}`);
  }
}

async function pair() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = net.connect(server.address().port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  return { server, client, peer, close: () => { client.destroy(); peer.destroy(); server.close(); } };
}

const runtime = process.versions.bun ? `Bun ${process.versions.bun}` : `Node ${process.version}`;
console.log(`addon smoke test on ${runtime} (N-API ${process.versions.napi}), binary ${bindingPath()}`);

await check('ESM and CommonJS entries export the same API', () => {
  assert.equal(esm.setKeepAlive, lib.setKeepAlive);
  assert.equal(typeof esm.watch, 'function');
});

await check('setKeepAlive round trip with rounding and auto user timeout', async () => {
  const p = await pair();
  try {
    assert.deepEqual(lib.setKeepAlive(p.client, { idle: 1500, interval: 1000, count: 3, userTimeout: 'auto' }), {
      enabled: true, idle: 2000, interval: 1000, count: 3, userTimeout: 5000,
    });
    assert.deepEqual(lib.getKeepAlive(p.client), { enabled: true, idle: 2000, interval: 1000, count: 3, userTimeout: 5000 });
  } finally {
    p.close();
  }
});

await check('getTcpInfo and getSocketError', async () => {
  const p = await pair();
  try {
    const info = lib.getTcpInfo(p.client);
    assert.equal(info.state, 'ESTABLISHED');
    // A short struct is reported as absent fields, never as garbage.
    assert.equal(typeof info.rttUs, underQemu ? 'undefined' : 'number');
    assert.equal(lib.getSocketError(p.client), null);
  } finally {
    p.close();
  }
});

await check('errors carry Node codes', async () => {
  assert.throws(() => lib.getKeepAlive(1e6), { code: 'EBADF', syscall: 'getsockopt' });
  const p = await pair();
  try {
    assert.throws(() => lib.setKeepAlive(p.client, { count: 128 }), { code: 'ERR_OUT_OF_RANGE', name: 'RangeError' });
    assert.throws(() => lib.setKeepAlive(p.client, { idle: '1' }), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
  } finally {
    p.close();
  }
  const udp = dgram.createSocket('udp4');
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  try {
    // Its descriptor, from /proc: Node 26 no longer shows it on _handle.
    const port = udp.address().port.toString(16).toUpperCase().padStart(4, '0');
    const inode = readFileSync('/proc/net/udp', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[1]?.endsWith(`:${port}`))[9];
    const fd = Number(readdirSync('/proc/self/fd').find((d) => { try { return readlinkSync(`/proc/self/fd/${d}`) === `socket:[${inode}]`; } catch { return false; } }));
    assert.throws(() => lib.getKeepAlive(fd), { code: 'ERR_TCP_KEEPALIVE_NOT_TCP' });
  } finally {
    udp.close();
  }
});

await check('a deferred setKeepAlive is applied on connect', async () => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = new net.Socket();
  try {
    assert.equal(lib.setKeepAlive(socket, { idle: 3000 }), null);
    socket.connect(server.address().port, '127.0.0.1');
    const settings = await lib.whenKeepAliveApplied(socket);
    assert.equal(settings.idle, 3000);
  } finally {
    socket.destroy();
    server.close();
  }
});

await check('watch reports a peer that closed', async () => {
  const p = await pair();
  const dead = new Promise((resolve) => lib.watch(p.client).once('dead', resolve));
  p.client.resume();
  p.peer.end();
  const report = await dead;
  assert.equal(report.reason, 'peer-closed');
  p.close();
});

await check('a heartbeat channel stays alive and measures RTT; a mute peer is declared dead', async () => {
  const server = heartbeat.createHeartbeatServer({ heartbeat: { idle: 100, interval: 100, count: 2 } }, () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect(server.address().port, '127.0.0.1');
  const channel = new heartbeat.HeartbeatChannel(socket, { heartbeat: { idle: 100, interval: 100, count: 2 } });
  await new Promise((r) => setTimeout(r, 600));
  assert.ok(channel.rtt.samples > 0);
  assert.equal(socket.destroyed, false);
  socket.destroy();
  server.close();

  const mute = net.createServer((s) => s.resume());
  mute.listen(0, '127.0.0.1');
  await once(mute, 'listening');
  const s2 = net.connect(mute.address().port, '127.0.0.1');
  s2.on('error', () => {});
  const c2 = new heartbeat.HeartbeatChannel(s2, { heartbeat: { idle: 100, interval: 100, count: 2 } });
  const report = await new Promise((resolve) => c2.once('dead', resolve));
  assert.equal(report.reason, 'heartbeat-timeout');
  mute.close();
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
