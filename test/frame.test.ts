// The frame decoder: every split of valid input, every kind of malformed
// input, and oversized frames refused from their header. (What a partial
// frame costs in memory is measured on the heap in channel-hostile.test.ts.)
import { describe, expect, it } from 'vitest';
import { rawFrame } from './helpers/frames';
import { FrameDecoder, FrameType, ProtocolError, encodeFrame, encodeHello, encodePingPong } from '../src/entry/protocol';

function collect(max?: number) {
  const seen: string[] = [];
  const decoder = new FrameDecoder(
    {
      data: (p) => seen.push(`data:${p.toString()}`),
      ping: (seq, ts) => seen.push(`ping:${seq}:${ts}`),
      pong: (seq, ts) => seen.push(`pong:${seq}:${ts}`),
    },
    max,
  );
  return { seen, decoder };
}

describe('FrameDecoder', () => {
  const stream = Buffer.concat([
    encodeHello(),
    encodeFrame(FrameType.DATA, Buffer.from('hello')),
    encodePingPong(FrameType.PING, 7, 123.5),
    encodeFrame(FrameType.DATA, Buffer.alloc(0)),
    encodePingPong(FrameType.PONG, 7, 123.5),
    encodeFrame(FrameType.DATA, Buffer.from('x'.repeat(1000))),
  ]);
  const expected = ['data:hello', 'ping:7:123.5', 'data:', 'pong:7:123.5', `data:${'x'.repeat(1000)}`];

  it('decodes a stream in one chunk', () => {
    const { seen, decoder } = collect();
    decoder.push(stream);
    expect(seen).toEqual(expected);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes the same stream split at every byte boundary, and byte by byte', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const { seen, decoder } = collect();
      decoder.push(stream.subarray(0, cut));
      decoder.push(stream.subarray(cut));
      expect(seen).toEqual(expected);
    }
    const { seen, decoder } = collect();
    for (let i = 0; i < stream.length; i++) decoder.push(stream.subarray(i, i + 1));
    expect(seen).toEqual(expected);
  });

  const malformed: Array<[string, Buffer, RegExp]> = [
    ['no HELLO first', encodeFrame(FrameType.DATA, Buffer.from('x')), /expected HELLO/],
    ['wrong magic', encodeFrame(FrameType.HELLO, Buffer.from([1, 2, 3, 4, 1])), /bad HELLO/],
    ['wrong version', encodeFrame(FrameType.HELLO, Buffer.from([0x54, 0x4b, 0x48, 0x42, 9])), /unsupported protocol version 9/],
    ['zero length', Buffer.concat([encodeHello(), Buffer.from([0, 0, 0, 0, 2])]), /length 0/],
    ['unknown type', Buffer.concat([encodeHello(), rawFrame(0x7f, Buffer.from('x'))]), /unknown frame type 127/],
    ['short PING', Buffer.concat([encodeHello(), encodeFrame(FrameType.PING, Buffer.alloc(3))]), /PING payload of 3 bytes/],
    ['long PONG', Buffer.concat([encodeHello(), encodeFrame(FrameType.PONG, Buffer.alloc(20))]), /PONG payload of 20 bytes/],
    ['second HELLO', Buffer.concat([encodeHello(), encodeHello()]), /second HELLO/],
  ];
  it.each(malformed)('%s → ProtocolError', (_name, input, message) => {
    const { decoder } = collect();
    let thrown: unknown;
    try {
      decoder.push(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProtocolError);
    expect(thrown).toMatchObject({ code: 'ERR_HEARTBEAT_PROTOCOL', reason: 'protocol-error', message: expect.stringMatching(message) });
    expect(decoder.bufferedBytes).toBe(0);
    expect(() => decoder.push(encodeHello())).toThrow(ProtocolError);
  });

  it('rejects an oversized frame from its header alone, holding no payload', () => {
    const { decoder } = collect(64 * 1024);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(2 ** 31, 0);
    header[4] = FrameType.DATA;
    decoder.push(encodeHello());
    expect(() => decoder.push(header)).toThrow(/exceeds the limit of 65536/);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('a 1 MiB frame in chunks of every size class arrives intact, followed by the frames after it', () => {
    const payload = Buffer.alloc(1024 * 1024 - 1);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 131) & 0xff;
    const stream = Buffer.concat([encodeHello(), encodeFrame(FrameType.DATA, payload), encodeFrame(FrameType.DATA, Buffer.from('next'))]);
    // 1-byte, sub-piece (1000) and over-piece (40 000) chunks, each its own Buffer as a socket gives them.
    for (const size of [1, 1000, 40_000]) {
      const got: Buffer[] = [];
      const decoder = new FrameDecoder({ data: (p) => got.push(Buffer.from(p)), ping: () => {}, pong: () => {} });
      for (let i = 0; i < stream.length; i += size) decoder.push(Buffer.from(stream.subarray(i, i + size)));
      expect(got.map((b) => b.length)).toEqual([payload.length, 4]);
      expect(got[0]?.equals(payload)).toBe(true);
      expect(decoder.partial).toBe(false);
    }
  });
});
