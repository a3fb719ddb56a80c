// Frames the public encoder refuses to build (unknown types), for tests of
// what a receiver does with them.
export function rawFrame(type: number, payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length + 1, 0);
  frame[4] = type;
  frame.set(payload, 5);
  return frame;
}
