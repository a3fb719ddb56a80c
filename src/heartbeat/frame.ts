/**
 * The framed wire protocol of {@link HeartbeatChannel} (docs/PROTOCOL.md):
 * `u32 length (big-endian) | u8 type | payload`, where length counts the type
 * byte and the payload. The decoder holds at most one partial frame, in one
 * buffer no larger than that frame nor than twice the bytes received of it.
 * @packageDocumentation
 */
import { functionArg, integerArg, invalidArgType, invalidArgValue, outOfRange } from '../common';

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
 * size limit, PINGs faster than the receiver allows, no HELLO in time after
 * connecting, or a frame started and not completed in time.
 */
export type ProtocolViolation = 'malformed' | 'oversized' | 'ping-flood' | 'hello-timeout' | 'frame-timeout';

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
 * A received chunk this large is kept as it is while its frame is collected;
 * smaller ones are copied into pieces of this size, so a peer sending one
 * byte per segment costs one byte each, not a Buffer each.
 */
const PIECE_BYTES = 16 * 1024;

/**
 * Streaming decoder. Feed it chunks; it calls the handler per frame.
 *
 * - A violation by the peer throws {@link ProtocolError}; the decoder is
 *   then done (the caller ends the connection). Size, type, HELLO-first and
 *   PING/PONG length are checked from the 5-byte header, before any payload
 *   is held.
 * - A partial frame costs the bytes received of it plus at most one 16 KiB
 *   piece: chunks of 16 KiB or more are kept as they are, smaller ones are
 *   copied into 16 KiB pieces, and the frame is joined once when complete.
 *   Memory follows bytes, not the number of chunks they came in.
 * - An exception thrown by the handler is the handler's own: it propagates
 *   unchanged, the decoder stays usable, and the rest of that chunk is kept;
 *   it is decoded by the next {@link push} (`push(Buffer.alloc(0))` resumes).
 */
export class FrameDecoder {
  private readonly head = Buffer.alloc(HEADER);
  private headFill = 0;
  /** The frame being collected: its type, payload size, the pieces and bytes so far (collecting: a frame is partial). */
  private type = 0;
  private payloadBytes = 0;
  private collecting = false;
  private readonly pieces: Buffer[] = [];
  private collected = 0;
  /** The piece small chunks are copied into, and how much of it is used. */
  private piece: Buffer | undefined;
  private pieceFill = 0;
  /** The rest of a chunk whose decoding a handler exception interrupted. */
  private backlog: Buffer | undefined;
  private helloSeen = false;
  private isFailed = false;
  private decoded = 0;

  constructor(
    private readonly handler: FrameHandler,
    readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
  ) {
    if (handler === null || typeof handler !== 'object') throw invalidArgType('handler', 'of type object', handler);
    for (const method of ['data', 'ping', 'pong'] as const) functionArg(`handler.${method}`, handler[method]);
    integerArg('maxFrameBytes', maxFrameBytes, 1, MAX_FRAME_LIMIT, ' (bytes)');
  }

  /** Bytes held for a frame not complete yet (header and payload so far). */
  get bufferedBytes(): number {
    return this.headFill + (this.collecting ? HEADER + this.collected : 0);
  }

  /** Whether part of a frame is held, waiting for the rest. */
  get partial(): boolean {
    return this.headFill > 0 || this.collecting;
  }

  /** Complete frames decoded so far (HELLO included). */
  get frames(): number {
    return this.decoded;
  }

  /** Whether the decoder met a protocol violation (it is done). */
  get failed(): boolean {
    return this.isFailed;
  }

  /** Whether the peer's HELLO has arrived. */
  get helloReceived(): boolean {
    return this.helloSeen;
  }

  /** Whether a handler exception left bytes to decode (resumed by the next push). */
  get interrupted(): boolean {
    return this.backlog !== undefined;
  }

  /**
   * Feeds received bytes.
   * @throws {@link ProtocolError} on a violation; whatever the handler throws;
   *   TypeError if `chunk` is not a Buffer.
   */
  push(chunk: Buffer): void {
    if (!Buffer.isBuffer(chunk)) throw invalidArgType('chunk', 'an instance of Buffer', chunk);
    if (this.isFailed) throw new ProtocolError('decoder used after an error');
    let bytes = chunk;
    if (this.backlog !== undefined) {
      // Rare (only after a handler threw): one copy keeps both in order if it throws again.
      bytes = Buffer.concat([this.backlog, chunk]);
      this.backlog = undefined;
    }
    this.consume(bytes);
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.collecting) {
        offset = this.collect(chunk, offset);
        continue;
      }
      // The header: straight from the chunk, or assembled across chunks.
      let header: Buffer;
      let at: number;
      if (this.headFill === 0 && chunk.length - offset >= HEADER) {
        header = chunk;
        at = offset;
        offset += HEADER;
      } else {
        const n = Math.min(HEADER - this.headFill, chunk.length - offset);
        chunk.copy(this.head, this.headFill, offset, offset + n);
        this.headFill += n;
        offset += n;
        if (this.headFill < HEADER) return;
        this.headFill = 0;
        header = this.head;
        at = 0;
      }
      const type = header[at + 4] as number;
      const payloadBytes = this.checkHeader(header.readUInt32BE(at), type);
      if (chunk.length - offset >= payloadBytes) {
        // The whole frame is here: hand out a view, copy nothing.
        const payload = chunk.subarray(offset, offset + payloadBytes);
        offset += payloadBytes;
        this.deliver(type, payload, chunk, offset);
      } else {
        this.type = type;
        this.payloadBytes = payloadBytes;
        this.collecting = true;
        this.collected = 0;
        offset = this.collect(chunk, offset);
      }
    }
  }

  /** Takes what `chunk` holds of the frame being collected; delivers it when complete. Returns the new offset. */
  private collect(chunk: Buffer, offset: number): number {
    const n = Math.min(this.payloadBytes - this.collected, chunk.length - offset);
    if (n >= PIECE_BYTES) {
      this.closePiece();
      this.pieces.push(chunk.subarray(offset, offset + n));
    } else {
      let copied = 0;
      while (copied < n) {
        if (this.piece === undefined) {
          this.piece = Buffer.allocUnsafe(Math.min(PIECE_BYTES, this.payloadBytes - this.collected - copied));
          this.pieceFill = 0;
        }
        const k = Math.min(n - copied, this.piece.length - this.pieceFill);
        chunk.copy(this.piece, this.pieceFill, offset + copied, offset + copied + k);
        this.pieceFill += k;
        copied += k;
        if (this.pieceFill === this.piece.length) this.closePiece();
      }
    }
    this.collected += n;
    offset += n;
    if (this.collected === this.payloadBytes) {
      this.closePiece();
      const payload = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces, this.payloadBytes);
      this.pieces.length = 0;
      this.collecting = false;
      this.deliver(this.type, payload, chunk, offset);
    }
    return offset;
  }

  /** Moves the piece being filled (its used part) into the list. */
  private closePiece(): void {
    if (this.piece === undefined) return;
    if (this.pieceFill > 0) this.pieces.push(this.piece.subarray(0, this.pieceFill));
    this.piece = undefined;
    this.pieceFill = 0;
  }

  /** Checks a header; returns the payload size. A violation fails the decoder. */
  private checkHeader(length: number, type: number): number {
    let problem: ProtocolError | undefined;
    if (length === 0) problem = new ProtocolError('frame of length 0');
    else if (length > this.maxFrameBytes) problem = new ProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`, 'oversized');
    else if (!this.helloSeen && type !== FrameType.HELLO) problem = new ProtocolError(`expected HELLO first, got frame type ${type}`);
    else if (this.helloSeen && type === FrameType.HELLO) problem = new ProtocolError('a second HELLO');
    else if (!TYPES.has(type)) problem = new ProtocolError(`unknown frame type ${type}`);
    else if ((type === FrameType.PING || type === FrameType.PONG) && length - 1 !== PING_PAYLOAD) {
      problem = new ProtocolError(`${type === FrameType.PING ? 'PING' : 'PONG'} payload of ${length - 1} bytes (expected ${PING_PAYLOAD})`);
    }
    if (problem) this.fail(problem);
    return length - 1;
  }

  private fail(problem: ProtocolError): never {
    this.isFailed = true;
    this.collecting = false;
    this.pieces.length = 0;
    this.piece = undefined;
    this.headFill = 0;
    this.backlog = undefined;
    throw problem;
  }

  /**
   * One complete frame. The decoder's state is final before the handler runs,
   * so an exception from the handler leaves it consistent; the rest of the
   * chunk is kept for the next push.
   */
  private deliver(type: number, payload: Buffer, chunk: Buffer, offset: number): void {
    this.decoded++;
    if (type === FrameType.HELLO) {
      if (payload.length < HELLO_PAYLOAD || payload.readUInt32BE(0) !== MAGIC) this.fail(new ProtocolError('bad HELLO (not a tcp-keepalive channel)'));
      if (payload[4] !== VERSION) this.fail(new ProtocolError(`unsupported protocol version ${payload[4]} (this side speaks ${VERSION})`));
      this.helloSeen = true;
      return;
    }
    try {
      if (type === FrameType.DATA) this.handler.data(payload);
      else if (type === FrameType.PING) this.handler.ping(payload.readUInt32BE(0), payload.readDoubleBE(4));
      else this.handler.pong(payload.readUInt32BE(0), payload.readDoubleBE(4));
    } catch (error) {
      if (offset < chunk.length) this.backlog = chunk.subarray(offset);
      throw error;
    }
  }
}
