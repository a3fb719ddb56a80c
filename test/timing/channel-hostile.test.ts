// Hostile peers of the channel protocol: memory held for a partial frame is
// bounded by the frame's size, measured on the heap, not by the decoder's
// own counter; a peer cannot hold a connection without completing anything.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { FrameDecoder, FrameType, ProtocolError, encodeFrame, encodeHello } from '../../src/entry/protocol';
import { HeartbeatChannel } from '../../src/entry/heartbeat';
import { listen } from '../helpers/sockets';
import { retainedBytes } from '../helpers/memory';
import { nextEvent, sleep } from '../helpers/time';

/** A header announcing a DATA frame of `payloadBytes`. */
function dataHeader(payloadBytes: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payloadBytes + 1, 0);
  header[4] = FrameType.DATA;
  return header;
}

describe('a partial frame costs memory bounded by its size', () => {
  it('200 000 one-byte chunks of a 1 MiB frame, each its own Buffer as a socket delivers them, retain < 1 MiB', () => {
    const decoder = new FrameDecoder({ data: () => {}, ping: () => {}, pong: () => {} });
    decoder.push(encodeHello());
    decoder.push(dataHeader(1024 * 1024 - 1));
    const before = retainedBytes();
    for (let i = 0; i < 200_000; i++) decoder.push(Buffer.alloc(1, 0x61));
    const grown = retainedBytes() - before;
    // The scenario is what it says: the decoder holds 200 000 bytes of a partial frame...
    expect(decoder.partial).toBe(true);
    expect(decoder.bufferedBytes).toBe(5 + 200_000);
    // ...at a cost within the heap's noise (a few hundred KB); before this rule
    // every chunk was kept as its own Buffer: 43.7 MB here.
    expect(grown).toBeLessThan(1024 * 1024);
  });

  it('the completed frame is delivered intact, however it was chunked', () => {
    const payload = Buffer.alloc(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const got: Buffer[] = [];
    const decoder = new FrameDecoder({ data: (p) => got.push(Buffer.from(p)), ping: () => {}, pong: () => {} });
    const stream = Buffer.concat([encodeHello(), encodeFrame(FrameType.DATA, payload), encodeFrame(FrameType.DATA, Buffer.from('after'))]);
    for (let i = 0; i < stream.length; ) {
      const n = 1 + ((i * 7919) % 3000);
      decoder.push(Buffer.from(stream.subarray(i, i + n)));
      i += n;
    }
    expect(got.map((b) => b.length)).toEqual([300_000, 5]);
    expect(got[0]?.equals(payload)).toBe(true);
    expect(got[1]?.toString()).toBe('after');
  });
});

describe.runIf(process.platform === 'linux')('a peer must complete what it starts', () => {
  async function acceptedChannel(options: ConstructorParameters<typeof HeartbeatChannel>[1]) {
    const server = net.createServer();
    const port = await listen(server);
    const accepted = nextEvent<[net.Socket]>(server, 'connection');
    const raw = net.connect(port, '127.0.0.1');
    raw.on('error', () => {});
    const [socket] = await accepted;
    socket.on('error', () => {});
    const channel = new HeartbeatChannel(socket, options);
    return { server, raw, socket, channel };
  }

  it("no HELLO within helloTimeout: 'protocolError' hello-timeout, connection ended", async () => {
    const { server, raw, channel, socket } = await acceptedChannel({ heartbeat: false, helloTimeout: 200 });
    const started = Date.now();
    const [error] = await nextEvent<[ProtocolError]>(channel, 'protocolError', 3000);
    expect(error).toMatchObject({ code: 'ERR_HEARTBEAT_PROTOCOL', violation: 'hello-timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    await sleep(20);
    expect(socket.destroyed).toBe(true);
    raw.destroy();
    server.close();
  });

  it("a frame started and never completed within frameTimeout: 'protocolError' frame-timeout, though bytes keep trickling in", async () => {
    const { server, raw, channel, socket } = await acceptedChannel({ heartbeat: { idle: 100, interval: 100, count: 2 }, frameTimeout: 400 });
    raw.setNoDelay(true);
    raw.write(Buffer.concat([encodeHello(), dataHeader(64 * 1024)]));
    // One byte every 20 ms: the heartbeat alone would count it as liveness forever.
    const trickle = setInterval(() => raw.write(Buffer.from('x')), 20);
    try {
      const [error] = await nextEvent<[ProtocolError]>(channel, 'protocolError', 3000);
      expect(error).toMatchObject({ code: 'ERR_HEARTBEAT_PROTOCOL', violation: 'frame-timeout' });
    } finally {
      clearInterval(trickle);
    }
    await sleep(20);
    expect(socket.destroyed).toBe(true);
    raw.destroy();
    server.close();
  });

  it('a peer that completes its frames in time is never cut off', async () => {
    const { server, raw, channel, socket } = await acceptedChannel({ heartbeat: false, helloTimeout: 200, frameTimeout: 200 });
    const errors: ProtocolError[] = [];
    channel.on('protocolError', (e) => errors.push(e));
    let messages = 0;
    channel.on('message', () => messages++);
    raw.write(encodeHello());
    const frame = encodeFrame(FrameType.DATA, Buffer.alloc(1000, 1));
    for (let i = 0; i < 10; i++) {
      // Each frame in two halves 50 ms apart: started and completed well within the limit.
      raw.write(frame.subarray(0, 500));
      await sleep(50);
      raw.write(frame.subarray(500));
      await sleep(50);
    }
    await sleep(300);
    expect(errors).toEqual([]);
    expect(messages).toBe(10);
    expect(socket.destroyed).toBe(false);
    raw.destroy();
    server.close();
  });
});
