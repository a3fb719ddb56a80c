// HeartbeatChannel on loopback against a peer process that speaks the
// protocol by hand (src/lab/channel-peer-main.ts) and can misbehave.
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { type ChannelDeathReport, HeartbeatChannel, createHeartbeatServer } from '../../src/entry/heartbeat';
import { encodeHello, encodePingPong, FrameDecoder, FrameType } from '../../src/entry/protocol';
import { startChannelPeer } from '../helpers/harness';
import type { Actor } from '../helpers/harness';
import { listen } from '../helpers/sockets';
import { rawFrame } from '../helpers/frames';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const HB = { idle: 100, interval: 100, count: 2, jitter: 0 }; // bound 300 ms, tick 25 ms
const BOUND = 300;
const TICK = 25;

const actors: Actor[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(actors.splice(0).map((a) => a.stop()));
});

async function connect(options: Parameters<typeof startChannelPeer>[1] = {}, heartbeat: object = HB) {
  const peer = await startChannelPeer(undefined, options);
  actors.push(peer.actor);
  const socket = net.connect(peer.port, peer.host);
  sockets.push(socket);
  socket.on('error', () => {});
  const channel = new HeartbeatChannel(socket, { heartbeat, sampleInterval: 1000 });
  await once(socket, 'connect');
  return { peer, socket, channel };
}

function deadOf(channel: HeartbeatChannel): Promise<ChannelDeathReport> {
  return new Promise((resolve) => channel.once('dead', resolve));
}

function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // an event-loop stall, as a long GC or synchronous work would cause
  }
}

describe.runIf(process.platform === 'linux')('HeartbeatChannel', () => {
  it('carries messages both ways and measures RTT', async () => {
    const { channel } = await connect({ echo: true });
    const got: string[] = [];
    channel.on('message', (m) => got.push(m.toString()));
    channel.send('one');
    channel.send(Buffer.from('two'));
    await sleep(400);
    expect(got).toEqual(['one', 'two']);
    expect(channel.rtt?.samples).toBeGreaterThan(0);
    expect(channel.rtt?.smoothed).toBeLessThan(50);
  });

  it('a peer that reads but never answers is declared dead though we keep writing into it', async () => {
    const { channel, socket } = await connect({ mute: true });
    const writer = setInterval(() => channel.send('still here?'), 20);
    const started = Date.now();
    const errors: NodeJS.ErrnoException[] = [];
    socket.on('error', (e) => errors.push(e));
    const report = await deadOf(channel);
    clearInterval(writer);
    expect(report).toMatchObject({ reason: 'heartbeat-timeout', detectedBy: 'heartbeat', via: 'detector', code: 'ERR_HEARTBEAT_TIMEOUT' });
    expect(report.detail).toMatchObject({ bound: BOUND, unansweredPings: 2 });
    expect(report.at - started).toBeLessThanOrEqual(BOUND + 2 * TICK + 100);
    await sleep(50);
    expect(socket.destroyed).toBe(true);
    expect(errors.map((e) => e.code)).toContain('ERR_HEARTBEAT_TIMEOUT');
  });

  it('PONGs later than the bound do not save the connection', async () => {
    const { channel } = await connect({ pongDelayMs: BOUND * 2 });
    const report = await deadOf(channel);
    expect(report.reason).toBe('heartbeat-timeout');
  });

  it('duplicated PONGs give one RTT sample per PING, no more', async () => {
    const { channel, peer } = await connect({ duplicatePongs: true });
    await sleep(3 * BOUND);
    peer.actor.send({ cmd: 'pings' });
    const { pings } = (await peer.actor.next('pings', 2000)) as unknown as { pings: number };
    const rtt = channel.rtt!;
    expect(pings).toBeGreaterThan(2);
    // Every PING was answered twice: a sample per answer would double the count.
    expect(rtt.samples).toBeLessThanOrEqual(pings);
    expect(rtt.samples).toBeGreaterThanOrEqual(pings - 1);
    expect(rtt.smoothed).toBeLessThan(50);
  });

  it('unsolicited PONGs acknowledge no PING: they are bytes (liveness), never RTT samples', async () => {
    // A peer that answers no PING but sends a PONG for a seq never sent every 30 ms.
    const { channel } = await connect({ mute: true, unsolicitedPongEveryMs: 30 });
    let dead = false;
    channel.on('dead', () => (dead = true));
    await sleep(3 * BOUND);
    expect(dead).toBe(false); // any received byte is liveness
    expect(channel.rtt).toMatchObject({ samples: 0 });
    expect(channel.heartbeat?.unansweredPings).toBeLessThanOrEqual(1);
  });

  it('PONGs that arrive after the connection was declared dead change nothing: one report', async () => {
    const { channel, peer } = await connect({ pongDelayMs: BOUND + 100 });
    const reports: ChannelDeathReport[] = [];
    channel.on('dead', (r) => reports.push(r));
    await sleep(BOUND + 400);
    expect(reports).toEqual([expect.objectContaining({ reason: 'heartbeat-timeout' })]);
    expect(channel.rtt).toMatchObject({ samples: 0 });
    peer.actor.send({ cmd: 'pings' });
  });

  it('an event-loop stall of twice the bound while PONGs arrive is no death', async () => {
    // The peer answers each PING 100 ms later, so one is always on its way.
    const { channel, socket } = await connect({ pongDelayMs: 100 });
    let dead: ChannelDeathReport | undefined;
    channel.on('dead', (r) => (dead = r));
    await sleep(500);
    busyWait(2 * BOUND);
    await sleep(BOUND);
    expect(dead).toBeUndefined();
    expect(socket.destroyed).toBe(false);
  });

  it('a hung peer during a stall is still declared dead, and the report has the loop lag', async () => {
    const { channel, peer } = await connect({ pongDelayMs: 100 });
    await sleep(300);
    peer.actor.signal('SIGSTOP');
    try {
      await sleep(50);
      busyWait(2 * BOUND);
      const report = await deadOf(channel);
      expect(report.reason).toBe('heartbeat-timeout');
      expect(report.detail?.loopLag).toBeGreaterThanOrEqual(BOUND);
    } finally {
      peer.actor.signal('SIGCONT');
    }
  });

  it('PONGs go out ahead of data queued in the channel', async () => {
    // A raw peer: stops reading until its PING is sent, then reads everything.
    const server = net.createServer();
    const port = await listen(server);
    const acceptedP = once(server, 'connection') as Promise<[net.Socket]>;
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    const channel = new HeartbeatChannel(socket, { heartbeat: false });
    const [raw] = await acceptedP;
    sockets.push(raw);
    raw.pause();
    for (let i = 0; i < 400; i++) channel.send(Buffer.alloc(64 * 1024, i & 0xff));
    await sleep(100);
    expect(channel.queuedDataBytes).toBeGreaterThan(1024 * 1024);
    raw.write(Buffer.concat([encodeHello(), encodePingPong(FrameType.PING, 1, 42)]));
    await sleep(50);
    const order: string[] = [];
    const decoder = new FrameDecoder({ data: () => order.push('data'), ping: () => order.push('ping'), pong: () => order.push('pong') }, 1024 * 1024);
    raw.on('data', (c: Buffer) => decoder.push(c));
    raw.resume();
    while (order.filter((o) => o === 'data').length < 400) await sleep(20);
    const pongAt = order.indexOf('pong');
    expect(pongAt).toBeGreaterThan(-1);
    expect(pongAt).toBeLessThan(order.length - 1 - 200); // well before the queued tail
    server.close();
  });

  it('malformed or oversized input ends the connection with a protocol error, memory bounded', async () => {
    for (const garbage of [
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      Buffer.concat([encodeHello(), Buffer.from([0xff, 0xff, 0xff, 0xff, 2])]),
      Buffer.concat([encodeHello(), rawFrame(0x42, Buffer.from('?'))]),
    ]) {
      const server = net.createServer((s) => s.end(garbage));
      const port = await listen(server);
      const socket = net.connect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => {});
      const channel = new HeartbeatChannel(socket, { heartbeat: HB, maxFrameBytes: 4096 });
      const protocolError = once(channel, 'protocolError') as Promise<[Error & { code: string }]>;
      const dead = deadOf(channel);
      const [error] = await protocolError;
      expect(error.code).toBe('ERR_HEARTBEAT_PROTOCOL');
      expect(await dead).toMatchObject({ reason: 'local-destroy', code: 'ERR_HEARTBEAT_PROTOCOL', detectedBy: 'local' });
      expect(socket.destroyed).toBe(true);
      server.close();
    }
  });

  it('either side may ping: a server that pings, a client that only answers', async () => {
    const channels: HeartbeatChannel[] = [];
    const server = createHeartbeatServer({ heartbeat: { ...HB, sendPings: true } }, (c) => channels.push(c));
    const port = await listen(server as net.Server);
    const client = net.connect(port, '127.0.0.1');
    sockets.push(client);
    const clientChannel = new HeartbeatChannel(client, { heartbeat: false });
    await sleep(3 * BOUND);
    expect(clientChannel.heartbeat).toBeUndefined();
    expect(channels).toHaveLength(1);
    expect(channels[0]?.rtt?.samples).toBeGreaterThan(2);
    expect(client.destroyed).toBe(false);
    server.close();
  });

  it('the server helper answers PINGs and reaps a client that stops heartbeating', async () => {
    const channels: HeartbeatChannel[] = [];
    const server = createHeartbeatServer({ heartbeat: HB }, (c) => channels.push(c));
    const reaped: ChannelDeathReport[] = [];
    server.on('reaped', (_c, report) => reaped.push(report));
    const port = await listen(server as net.Server);
    // A good client: it pings, the server answers, nobody is reaped.
    const good = net.connect(port, '127.0.0.1');
    sockets.push(good);
    const goodChannel = new HeartbeatChannel(good, { heartbeat: HB });
    // A client whose PC "crashed": HELLO, then silence.
    const silent = net.connect(port, '127.0.0.1');
    sockets.push(silent);
    silent.on('error', () => {});
    silent.write(encodeHello());
    await sleep(BOUND + 4 * TICK + 200);
    expect(reaped).toHaveLength(1);
    expect(reaped[0]).toMatchObject({ reason: 'heartbeat-timeout', detectedBy: 'heartbeat' });
    expect(goodChannel.rtt?.samples).toBeGreaterThan(0);
    expect(good.destroyed).toBe(false);
    server.close();
  });

  describe('PINGs from an untrusted peer', () => {
    /** A server-side channel and a raw client socket that speaks the protocol by hand. */
    async function rawPeer(options: ConstructorParameters<typeof HeartbeatChannel>[1]) {
      let channel: HeartbeatChannel | undefined;
      const accepted = new Promise<HeartbeatChannel>((resolve) => {
        const server = net.createServer((s) => {
          sockets.push(s);
          s.on('error', () => {});
          channel = new HeartbeatChannel(s, options);
          resolve(channel);
        });
        servers.push(server);
      });
      const port = await listen(servers[servers.length - 1] as net.Server);
      const raw = net.connect(port, '127.0.0.1');
      sockets.push(raw);
      raw.on('error', () => {});
      await once(raw, 'connect');
      raw.write(encodeHello());
      return { raw, channel: await accepted };
    }
    const servers: net.Server[] = [];
    afterEach(() => {
      for (const s of servers.splice(0)) s.close();
    });

    it('a PING flood beyond the rate limit is a protocol error (ping-flood) and ends the connection', async () => {
      const { raw, channel } = await rawPeer({ heartbeat: false, pingRateLimit: { perSecond: 10, burst: 20 } });
      const protocolError = once(channel, 'protocolError') as Promise<[Error & { code: string; violation: string }]>;
      const dead = deadOf(channel);
      const closed = once(raw, 'close');
      raw.resume();
      for (let seq = 1; seq <= 25; seq++) raw.write(encodePingPong(FrameType.PING, seq, seq));
      const [error] = await protocolError;
      expect(error).toMatchObject({ code: 'ERR_HEARTBEAT_PROTOCOL', violation: 'ping-flood', message: expect.stringMatching(/10\/s \(burst 20\)/) });
      expect(await dead).toMatchObject({ reason: 'local-destroy', code: 'ERR_HEARTBEAT_PROTOCOL' });
      await closed;
    });

    it('a peer pinging within the limit is answered and never cut off', async () => {
      const { raw, channel } = await rawPeer({ heartbeat: false, pingRateLimit: { perSecond: 10, burst: 2 } });
      const pongs: number[] = [];
      const decoder = new FrameDecoder({ data: () => {}, ping: () => {}, pong: (seq) => pongs.push(seq) });
      raw.on('data', (chunk: Buffer) => decoder.push(chunk));
      let errors = 0;
      channel.on('protocolError', () => errors++);
      for (let seq = 1; seq <= 12; seq++) {
        raw.write(encodePingPong(FrameType.PING, seq, seq));
        await sleep(110); // ~9/s, under 10/s
      }
      await sleep(50);
      expect(errors).toBe(0);
      expect(raw.destroyed).toBe(false);
      expect(pongs).toEqual(Array.from({ length: 12 }, (_v, i) => i + 1));
    });

    it('a peer that PINGs without reading cannot grow our write buffer: one PONG, for the newest PING', async () => {
      const { raw, channel } = await rawPeer({ heartbeat: false, pingRateLimit: false });
      raw.pause(); // never reads while it floods
      const N = 2_000_000; // 34 MB of PONGs if each PING were answered: more than the kernel buffers hold
      let maxBuffered = 0;
      const sampler = setInterval(() => {
        maxBuffered = Math.max(maxBuffered, channel.socket.writableLength);
      }, 1);
      const batch = 20_000;
      for (let seq = 1; seq <= N; seq += batch) {
        const frames = [];
        for (let s = seq; s < seq + batch; s++) frames.push(encodePingPong(FrameType.PING, s, s));
        if (!raw.write(Buffer.concat(frames))) await once(raw, 'drain');
      }
      await sleep(200);
      clearInterval(sampler);
      maxBuffered = Math.max(maxBuffered, channel.socket.writableLength);
      expect(maxBuffered).toBeLessThanOrEqual(17);
      // Now read what was answered: far fewer PONGs than PINGs, the last for the newest.
      const pongs: number[] = [];
      const decoder = new FrameDecoder({ data: () => {}, ping: () => {}, pong: (seq) => pongs.push(seq) });
      raw.on('data', (chunk: Buffer) => decoder.push(chunk));
      raw.resume();
      const deadline = Date.now() + 5000;
      while (pongs[pongs.length - 1] !== N && Date.now() < deadline) await sleep(20);
      expect(pongs[pongs.length - 1]).toBe(N);
      expect(pongs.length).toBeLessThan(N / 10);
      expect(pongs).toEqual([...pongs].sort((a, b) => a - b)); // in order, newest last
    });
  });
});
