/**
 * The framed wire protocol of {@link HeartbeatChannel} (docs/PROTOCOL.md):
 * `u32 length (big-endian) | u8 type | payload`, where length counts the type
 * byte and the payload. The decoder never holds more than one frame.
 * @packageDocumentation
 */
import { invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { functionArg, integerArg } from '../validate';

/** Frame types. Values are part of the wire format. */
export const FrameType = {
  HELLO: 0x01,
  DATA: 0x02,
  PING: 0x03,
  PONG: 0x04,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Protocol identification carried by HELLO: magic "TKHB" and version 1. */
export const MAGIC = 0x544b4842;
export const VERSION = 1;
/** Default limit on one frame's type + payload, bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
/** Highest `maxFrameBytes` a receiver accepts: 2³¹ − 1 bytes. */
export const MAX_FRAME_LIMIT = 2 ** 31 - 1;
const TYPES: ReadonlySet<number> = new Set(Object.values(FrameType));
const HEADER = 5;
const PING_PAYLOAD = 12; // u32 seq + f64 timestamp
const HELLO_PAYLOAD = 5; // u32 magic + u8 version

/**
 * What a peer did wrong: a frame that breaks the format, a frame over the
 * size limit, or PINGs faster than the receiver allows.
 */
export type ProtocolViolation = 'malformed' | 'oversized' | 'ping-flood';

/** A protocol violation; the channel ends the connection with it. */
export class ProtocolError extends Error {
  readonly code = 'ERR_HEARTBEAT_PROTOCOL';
  readonly reason = 'protocol-error';
  /** Which kind of violation, to branch on without parsing the message. */
  readonly violation: ProtocolViolation;
  constructor(message: string, violation: ProtocolViolation = 'malformed') {
    super(`tcp-keepalive protocol error: ${message}`);
    this.name = 'ProtocolError';
    this.violation = violation;
  }
}

/** Encodes one frame with a payload (at most 2³² − 2 bytes). */
export function encodeFrame(type: FrameType, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  if (!TYPES.has(type)) throw invalidArgValue('type', type, 'is not a frame type (FrameType.HELLO, DATA, PING or PONG)');
  if (!(payload instanceof Uint8Array)) throw invalidArgType('payload', 'an instance of Buffer or Uint8Array', payload);
  if (payload.length > 2 ** 32 - 2) throw outOfRange('payload.length', '<= 4294967294 (bytes)', payload.length);
  const frame = Buffer.allocUnsafe(HEADER + payload.length);
  frame.writeUInt32BE(payload.length + 1, 0);
  frame[4] = type;
  frame.set(payload, HEADER);
  return frame;
}

/** A PING or PONG frame: seq (u32) and timestamp (f64, the pinger's clock, ms). */
export function encodePingPong(type: typeof FrameType.PING | typeof FrameType.PONG, seq: number, timestamp: number): Buffer {
  if (type !== FrameType.PING && type !== FrameType.PONG) throw invalidArgValue('type', type, 'must be FrameType.PING or FrameType.PONG');
  integerArg('seq', seq, 0, 2 ** 32 - 1, '');
  // Any double, NaN included: a PONG echoes whatever the peer's PING carried.
  if (typeof timestamp !== 'number') throw invalidArgType('timestamp', 'of type number', timestamp);
  return pingPongFrame(type, seq, timestamp);
}

/** @internal {@link encodePingPong} without the checks, for values the channel already holds as valid (every PING and PONG). */
export function pingPongFrame(type: typeof FrameType.PING | typeof FrameType.PONG, seq: number, timestamp: number): Buffer {
  const frame = Buffer.allocUnsafe(HEADER + PING_PAYLOAD);
  frame.writeUInt32BE(PING_PAYLOAD + 1, 0);
  frame[4] = type;
  frame.writeUInt32BE(seq >>> 0, 5);
  frame.writeDoubleBE(timestamp, 9);
  return frame;
}

/** The HELLO frame each side sends first. */
export function encodeHello(): Buffer {
  const payload = Buffer.allocUnsafe(HELLO_PAYLOAD);
  payload.writeUInt32BE(MAGIC, 0);
  payload[4] = VERSION;
  return encodeFrame(FrameType.HELLO, payload);
}

/** What the decoder hands out. */
export interface FrameHandler {
  data(payload: Buffer): void;
  ping(seq: number, timestamp: number): void;
  pong(seq: number, timestamp: number): void;
}

/**
 * Streaming decoder. Feed it chunks; it calls the handler per frame and
 * throws {@link ProtocolError} on the first violation (the caller ends the
 * connection). Memory is bounded by one frame of at most `maxFrameBytes`.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Total bytes (header included) of the frame being collected; 0 if unknown yet. */
  private needed = 0;
  private helloSeen = false;
  private failed = false;

  constructor(
    private readonly handler: FrameHandler,
    readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
  ) {
    if (handler === null || typeof handler !== 'object') throw invalidArgType('handler', 'of type object', handler);
    for (const method of ['data', 'ping', 'pong'] as const) functionArg(`handler.${method}`, handler[method]);
    integerArg('maxFrameBytes', maxFrameBytes, 1, MAX_FRAME_LIMIT, ' (bytes)');
  }

  /** Bytes buffered while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Feeds received bytes. @throws {@link ProtocolError} on a violation; TypeError if `chunk` is not a Buffer. */
  push(chunk: Buffer): void {
    if (!Buffer.isBuffer(chunk)) throw invalidArgType('chunk', 'an instance of Buffer', chunk);
    if (this.failed) throw new ProtocolError('decoder used after an error');
    let buf = chunk;
    if (this.pendingBytes > 0) {
      if (this.needed > 0 && this.pendingBytes + chunk.length < this.needed) {
        // Still short of the frame: collect without copying (no quadratic concat).
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
        return;
      }
      this.pending.push(chunk);
      buf = Buffer.concat(this.pending, this.pendingBytes + chunk.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let offset = 0;
    try {
      while (buf.length - offset >= HEADER) {
        const length = buf.readUInt32BE(offset);
        if (length === 0) throw new ProtocolError('frame of length 0');
        if (length > this.maxFrameBytes) {
          throw new ProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`, 'oversized');
        }
        if (buf.length - offset < 4 + length) break;
        this.frame(buf[offset + 4] as number, buf.subarray(offset + HEADER, offset + 4 + length));
        offset += 4 + length;
      }
    } catch (error) {
      this.failed = true;
      this.pending = [];
      this.pendingBytes = 0;
      throw error;
    }
    this.needed = 0;
    if (offset < buf.length) {
      // Only a partial header, or a frame whose header passed the size check.
      const rest = buf.subarray(offset);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
      if (rest.length >= HEADER) this.needed = 4 + rest.readUInt32BE(0);
    }
  }

  private frame(type: number, payload: Buffer): void {
    if (!this.helloSeen) {
      if (type !== FrameType.HELLO) throw new ProtocolError(`expected HELLO first, got frame type ${type}`);
      if (payload.length < HELLO_PAYLOAD || payload.readUInt32BE(0) !== MAGIC) throw new ProtocolError('bad HELLO (not a tcp-keepalive channel)');
      if (payload[4] !== VERSION) throw new ProtocolError(`unsupported protocol version ${payload[4]} (this side speaks ${VERSION})`);
      this.helloSeen = true;
      return;
    }
    switch (type) {
      case FrameType.DATA:
        this.handler.data(payload);
        return;
      case FrameType.PING:
      case FrameType.PONG: {
        if (payload.length !== PING_PAYLOAD) throw new ProtocolError(`${type === FrameType.PING ? 'PING' : 'PONG'} payload of ${payload.length} bytes (expected ${PING_PAYLOAD})`);
        const seq = payload.readUInt32BE(0);
        const timestamp = payload.readDoubleBE(4);
        if (type === FrameType.PING) this.handler.ping(seq, timestamp);
        else this.handler.pong(seq, timestamp);
        return;
      }
      case FrameType.HELLO:
        throw new ProtocolError('a second HELLO');
      default:
        throw new ProtocolError(`unknown frame type ${type}`);
    }
  }
}
