// Fuzzing the frame decoder with over a million generated inputs: random
// bytes, and valid streams mutated (flipped, truncated, spliced, chunked at
// random). Nothing but ProtocolError may escape, the decoder never holds
// more than one frame, the process retains nothing after a million inputs
// (measured on the heap), and valid frames decode as encoded.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { retainedBytes } from './helpers/memory';
import { FrameDecoder, FrameType, ProtocolError, encodeFrame, encodeHello, encodePingPong } from '../src/entry/protocol';

const MAX = 4096;

function feed(chunks: Uint8Array[]): { frames: number; error?: unknown; maxBuffered: number } {
  let frames = 0;
  let maxBuffered = 0;
  const decoder = new FrameDecoder({ data: () => frames++, ping: () => frames++, pong: () => frames++ }, MAX);
  try {
    for (const c of chunks) {
      decoder.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    }
  } catch (error) {
    return { frames, error, maxBuffered };
  }
  return { frames, maxBuffered };
}

const frame = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((p) => encodeFrame(FrameType.DATA, p)),
  fc.tuple(fc.nat(), fc.double()).map(([seq, ts]) => encodePingPong(FrameType.PING, seq, ts)),
  fc.tuple(fc.nat(), fc.double()).map(([seq, ts]) => encodePingPong(FrameType.PONG, seq, ts)),
);
const validStream = fc.array(frame, { maxLength: 8 }).map((fs) => Buffer.concat([encodeHello(), ...fs]));

/** Splits a stream into chunks at random places. */
const chunked = (stream: fc.Arbitrary<Uint8Array>) =>
  stream.chain((bytes) =>
    fc.array(fc.nat({ max: bytes.length }), { maxLength: 6 }).map((cuts) => {
      const at = [0, ...[...new Set(cuts)].sort((a, b) => a - b), bytes.length];
      return at.slice(1).map((end, i) => bytes.subarray(at[i], end));
    }),
  );

const mutated = fc.tuple(validStream, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat()).map(
  ([stream, flips, cut]) => {
    const copy = Buffer.from(stream);
    for (const [i, v] of flips) copy[i % copy.length] = v;
    return copy.subarray(0, copy.length - (cut % 4));
  },
);

describe('FrameDecoder fuzzing', () => {
  it('survives 1 000 000+ generated inputs; nothing escapes but ProtocolError, nothing is retained', { timeout: 600_000 }, () => {
    let runs = 0;
    const before = retainedBytes();
    const property = fc.property(
      fc.oneof(chunked(fc.uint8Array({ maxLength: 64 })), chunked(mutated), chunked(validStream)),
      (chunks) => {
        runs++;
        const { error, maxBuffered } = feed(chunks);
        if (error !== undefined && !(error instanceof ProtocolError)) throw error;
        // The decoder's own account: never more than one frame (limit + 4-byte length).
        expect(maxBuffered).toBeLessThanOrEqual(MAX + 4);
      },
    );
    fc.assert(property, { numRuns: 1_000_000 });
    expect(runs).toBeGreaterThanOrEqual(1_000_000);
    // The process's: a million decoders come and go, and the heap is where it was.
    expect(retainedBytes() - before).toBeLessThan(4 * 1024 * 1024);
  });

  it('valid streams, however chunked, decode every frame', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }).chain((fs) => chunked(fc.constant(Buffer.concat([encodeHello(), ...fs]))).map((c) => [fs.length, c] as const)),
        ([count, chunks]) => {
          const { frames, error } = feed(chunks);
          expect(error).toBeUndefined();
          expect(frames).toBe(count);
        }),
      { numRuns: 20_000 },
    );
  });
});
