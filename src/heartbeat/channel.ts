/**
 * A framed message channel with an application heartbeat over a net or TLS
 * socket, for applications without a protocol of their own.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { integerArg, libraryError, netSocket, optionsObject } from '../common';
import { validateWatchOptions, watch, type DeathReport, type Watcher } from '../death';
import type { KeepAliveOptions } from '../socket';
import { deadlines, type DeadlineOwner } from './deadlines';
import { Heartbeat, validateHeartbeatOptions, type HeartbeatDeath, type HeartbeatOptions, type RttEstimate } from './engine';
import { DEFAULT_MAX_FRAME_BYTES, MAX_FRAME_LIMIT, FrameDecoder, FrameType, ProtocolError, encodeFrame, encodeHello, pingPongFrame } from './frame';
import { PingBucket, validatePingRateLimit, type PingRateLimit } from './ping-limit';

/** Options of {@link HeartbeatChannel}. */
export interface ChannelOptions {
  /** Heartbeat timing (see {@link HeartbeatOptions}); `false` answers PINGs but never pings or judges. */
  heartbeat?: HeartbeatOptions | false;
  /** Largest frame (type + payload) accepted from the peer, bytes. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Kernel keep-alive applied to the socket too (belt and braces). */
  keepAlive?: KeepAliveOptions;
  /** The watcher's sampling period, ms (see {@link watch}). */
  sampleInterval?: number;
  /**
   * How fast the peer may PING (token bucket); a faster peer is a protocol
   * error ('ping-flood') and the connection is destroyed. Default 10/s with
   * a burst of 20; `false` answers every PING.
   */
  pingRateLimit?: PingRateLimit | false;
  /**
   * The peer's HELLO must arrive within this many ms of the connection
   * (counted from 'connect', or from the channel's creation on a connected
   * socket), else 'hello-timeout'. Default 10 000.
   */
  helloTimeout?: number;
  /**
   * A frame the peer started must be complete within this many ms, else
   * 'frame-timeout': trickling bytes keeps the heartbeat content (any byte is
   * liveness) but cannot hold a connection forever. Default 30 000 (a full
   * 1 MiB frame at ~35 KB/s).
   */
  frameTimeout?: number;
}

/** The keys of {@link ChannelOptions}. */
export const CHANNEL_OPTIONS: ReadonlySet<string> = new Set([
  'heartbeat',
  'maxFrameBytes',
  'keepAlive',
  'sampleInterval',
  'pingRateLimit',
  'helloTimeout',
  'frameTimeout',
]);

const DEFAULT_HELLO_TIMEOUT_MS = 10_000;
const DEFAULT_FRAME_TIMEOUT_MS = 30_000;
const MAX_MS = 2 ** 31 - 1;

/**
 * @internal Checks {@link ChannelOptions} completely, without a socket; returns
 * them resolved. `sendPingsByDefault` is false for a server's channels (they judge).
 */
export function validateChannelOptions(options: unknown, sendPingsByDefault = true) {
  const o = optionsObject<ChannelOptions>('options', options, CHANNEL_OPTIONS, 'a channel option');
  return {
    max: o.maxFrameBytes === undefined ? DEFAULT_MAX_FRAME_BYTES : integerArg('options.maxFrameBytes', o.maxFrameBytes, 1, MAX_FRAME_LIMIT, ' (bytes)'),
    heartbeatOptions: o.heartbeat === false ? (false as const) : validateHeartbeatOptions(o.heartbeat, 'options.heartbeat', sendPingsByDefault),
    pingLimit: validatePingRateLimit(o.pingRateLimit),
    helloTimeout:
      o.helloTimeout === undefined ? DEFAULT_HELLO_TIMEOUT_MS : integerArg('options.helloTimeout', o.helloTimeout, 1, MAX_MS, ' (milliseconds)'),
    frameTimeout:
      o.frameTimeout === undefined ? DEFAULT_FRAME_TIMEOUT_MS : integerArg('options.frameTimeout', o.frameTimeout, 1, MAX_MS, ' (milliseconds)'),
    watchOptions: validateWatchOptions({ keepAlive: o.keepAlive, sampleInterval: o.sampleInterval }),
  };
}

/**
 * How a channel reports its death: any reason the socket's watcher knows,
 * or `'heartbeat-timeout'` detected by `'heartbeat'`, with the heartbeat's
 * view as `detail` (silence, bound, unanswered PINGs, RTT, event-loop lag).
 */
export type ChannelDeathReport = DeathReport<'heartbeat-timeout', 'heartbeat', HeartbeatDeath>;

/** Events of a {@link HeartbeatChannel}. */
export interface ChannelEvents {
  /** A DATA frame's payload. */
  message: [payload: Buffer];
  /** The connection died (heartbeat, kernel, peer or local); emitted once. */
  dead: [report: ChannelDeathReport];
  /** The peer broke the protocol; the connection is being destroyed with this error. */
  protocolError: [error: ProtocolError];
  /** The socket closed. */
  close: [];
}

/** Error a socket is destroyed with when the heartbeat declares it dead. */
export interface HeartbeatTimeoutError extends Error {
  code: 'ERR_HEARTBEAT_TIMEOUT';
  heartbeat: HeartbeatDeath;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Length-prefixed frames (DATA, PING, PONG; docs/PROTOCOL.md) over one TCP or
 * TLS socket, with a heartbeat. PONGs (and PINGs) go out ahead of data this
 * channel has queued; a PING still draining out of our own write buffer is
 * not counted as unanswered. Death of any kind is reported once through the
 * socket's {@link Watcher} (`'dead'`), as 'heartbeat-timeout' with
 * detectedBy 'heartbeat' when the heartbeat noticed.
 *
 * An exception thrown by a 'message' listener propagates as from any
 * listener (to 'uncaughtException' when nothing catches it); frames after it
 * are still decoded and delivered, never blamed on the peer.
 */
export class HeartbeatChannel extends EventEmitter<ChannelEvents> implements DeadlineOwner {
  readonly socket: net.Socket;
  readonly watcher: Watcher<'heartbeat-timeout', 'heartbeat', HeartbeatDeath>;
  /** The heartbeat engine, or undefined with `heartbeat: false`. */
  readonly heartbeat: Heartbeat | undefined;
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private pingFlushed = true;
  private lastWritable = 0;
  private readonly pingBucket: PingBucket | undefined;
  /** A PONG is in the socket's write buffer; later PINGs are answered once it left. */
  private pongInFlight = false;
  /** Newest PING not answered yet because a PONG was in flight (-1: none). */
  private pendingPongSeq = -1;
  private pendingPongTimestamp = 0;
  private readonly helloTimeout: number;
  private readonly frameTimeout: number;
  /** Frames decoded when the current partial frame's deadline was set (-1: no frame deadline). */
  private frameDeadlineAt = -1;
  /** A deadline (HELLO or frame) is set for this channel. */
  private deadlinePending = false;
  /** The peer broke the protocol: nothing more is delivered. */
  private violated = false;
  /**
   * @internal Sequence number of the last PING handed to the socket (0: none
   * yet). Frames written to the socket before it are in the stream ahead of
   * it, so a PONG for a later sequence proves the peer read them.
   */
  lastPingSeq = 0;

  constructor(socket: net.Socket, options?: ChannelOptions) {
    super();
    netSocket('socket', socket);
    const { max, heartbeatOptions, pingLimit, watchOptions, helloTimeout, frameTimeout } = validateChannelOptions(options);
    if (socket.destroyed) throw libraryError('ERR_SOCKET_CLOSED', 'Socket is closed');
    this.pingBucket = pingLimit && new PingBucket(pingLimit);
    this.helloTimeout = helloTimeout;
    this.frameTimeout = frameTimeout;
    this.socket = socket;
    this.watcher = watch<'heartbeat-timeout', 'heartbeat', HeartbeatDeath>(socket, watchOptions);
    this.watcher.on('dead', (report) => this.emit('dead', report));

    this.heartbeat =
      heartbeatOptions === false
        ? undefined
        : new Heartbeat(
            {
              sendPing: (seq, timestamp) => {
                this.lastPingSeq = seq;
                this.writePing(pingPongFrame(FrameType.PING, seq, timestamp));
              },
              isDraining: () => this.isDraining(),
            },
            heartbeatOptions,
          );
    this.heartbeat?.on('dead', (death) => this.onHeartbeatDeath(death));

    this.decoder = new FrameDecoder(
      {
        // Like 'data' after destroy(): frames left in the chunk being decoded are dropped.
        data: (payload) => {
          if (!this.ended) this.emit('message', payload);
        },
        ping: (seq, timestamp) => this.onPing(seq, timestamp),
        pong: (seq, timestamp) => {
          if (!this.ended) this.heartbeat?.pong(seq, timestamp);
        },
      },
      max,
    );
    socket.on('data', this.onData);
    socket.on('drain', this.flush);
    socket.once('close', () => {
      this.heartbeat?.stop();
      deadlines.clear(this);
      this.queue.length = 0;
      this.queuedBytes = 0;
      socket.removeListener('data', this.onData);
      socket.removeListener('drain', this.flush);
      socket.removeListener('connect', this.startHelloDeadline);
      this.emit('close');
    });
    if (socket.pending || socket.connecting) socket.once('connect', this.startHelloDeadline);
    else this.startHelloDeadline();
    socket.write(encodeHello());
  }

  /** Round-trip time measured by the heartbeat. */
  get rtt(): RttEstimate | undefined {
    return this.heartbeat?.rtt;
  }

  /** Bytes of DATA queued in this channel (not yet handed to the socket). */
  get queuedDataBytes(): number {
    return this.queuedBytes;
  }

  /**
   * Sends one message. Returns false when it was queued behind backpressure
   * (like `socket.write`); queued messages go out in order on 'drain'.
   */
  send(data: Buffer | Uint8Array | string): boolean {
    if (this.socket.destroyed) return false;
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    const frame = encodeFrame(FrameType.DATA, payload);
    this.heartbeat?.sentData();
    if (this.queue.length === 0 && !this.socket.writableNeedDrain) return this.socket.write(frame);
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    return false;
  }

  /** Ends the connection gracefully. */
  close(): void {
    this.socket.end();
  }

  /** @internal A HELLO or frame deadline passed. */
  onDeadline(): void {
    if (this.ended) return;
    if (!this.decoder.helloReceived) {
      this.violation(new ProtocolError(`no HELLO within ${this.helloTimeout} ms of connecting`, 'hello-timeout'));
    } else {
      this.violation(new ProtocolError(`a frame started more than ${this.frameTimeout} ms ago is still incomplete`, 'frame-timeout'));
    }
  }

  private get ended(): boolean {
    return this.violated || this.socket.destroyed;
  }

  private readonly startHelloDeadline = (): void => {
    if (this.decoder.helloReceived || this.ended) return;
    this.deadlinePending = true;
    deadlines.set(this, this.helloTimeout);
  };

  /** Keeps the deadline in step with the decoder: HELLO first, then each partial frame from its start. */
  private trackDeadline(): void {
    const d = this.decoder;
    if (!d.helloReceived) return; // the HELLO deadline stands
    if (d.partial) {
      if (this.frameDeadlineAt === d.frames) return;
      // A new partial frame (the previous one, if any, completed): its own deadline.
      this.frameDeadlineAt = d.frames;
      this.deadlinePending = true;
      deadlines.set(this, this.frameTimeout);
    } else if (this.deadlinePending) {
      this.deadlinePending = false;
      this.frameDeadlineAt = -1;
      deadlines.clear(this);
    }
  }

  /** The peer broke the protocol: report it and end the connection. */
  private violation(error: ProtocolError): void {
    if (this.ended) return;
    this.violated = true;
    deadlines.clear(this);
    this.emit('protocolError', error);
    this.socket.destroy(error);
  }

  /** PINGs bypass this channel's queue: they only wait behind what the socket already holds. */
  private writePing(frame: Buffer): void {
    if (this.socket.destroyed) return;
    this.pingFlushed = false;
    this.lastWritable = this.socket.writableLength;
    this.socket.write(frame, () => {
      this.pingFlushed = true;
    });
  }

  /**
   * Answers a PING ahead of queued data. At most one PONG waits in the
   * socket's buffer: since a PONG for N acknowledges every PING <= N, PINGs
   * arriving meanwhile are answered by one PONG for the newest, so a peer
   * that PINGs without reading cannot grow our write buffer.
   */
  private onPing(seq: number, timestamp: number): void {
    if (this.ended) return;
    if (this.pingBucket && !this.pingBucket.take()) {
      this.violation(this.pingBucket.floodError());
      return;
    }
    if (this.pongInFlight) {
      this.pendingPongSeq = seq;
      this.pendingPongTimestamp = timestamp;
      return;
    }
    this.writePong(seq, timestamp);
  }

  private writePong(seq: number, timestamp: number): void {
    if (this.socket.destroyed) return;
    this.pongInFlight = true;
    this.socket.write(pingPongFrame(FrameType.PONG, seq, timestamp), this.onPongFlushed);
  }

  private readonly onPongFlushed = (error?: Error | null): void => {
    this.pongInFlight = false;
    if (error || this.pendingPongSeq < 0) return;
    const seq = this.pendingPongSeq;
    this.pendingPongSeq = -1;
    this.writePong(seq, this.pendingPongTimestamp);
  };

  /** A PING is still in the write buffer and the buffer drained since the last look. */
  private isDraining(): boolean {
    if (this.pingFlushed) return false;
    const now = this.socket.writableLength;
    const progressed = now < this.lastWritable;
    this.lastWritable = now;
    return progressed;
  }

  private readonly flush = (): void => {
    while (this.queue.length > 0 && !this.socket.writableNeedDrain) {
      const frame = this.queue.shift() as Buffer;
      this.queuedBytes -= frame.length;
      this.socket.write(frame);
    }
  };

  private readonly onData = (chunk: Buffer): void => {
    this.heartbeat?.received();
    this.decode(chunk);
  };

  private decode(chunk: Buffer): void {
    if (this.ended) return;
    try {
      this.decoder.push(chunk);
    } catch (error) {
      if (this.decoder.failed) {
        this.violation(error as ProtocolError);
        return;
      }
      // A listener of ours threw: its exception, not the peer's fault. The
      // frames after it in this chunk are decoded on the next turn.
      this.trackDeadline();
      if (this.decoder.interrupted) setImmediate(() => this.decode(NO_BYTES));
      throw error;
    }
    this.trackDeadline();
  }

  private onHeartbeatDeath(death: HeartbeatDeath): void {
    const error = new Error(
      `heartbeat timeout: nothing received for ${Math.round(death.silence)} ms (bound ${death.bound} ms, ${death.unansweredPings} PINGs unanswered)`,
    ) as HeartbeatTimeoutError;
    error.code = 'ERR_HEARTBEAT_TIMEOUT';
    error.heartbeat = death;
    this.watcher.declareDead({ reason: 'heartbeat-timeout', detectedBy: 'heartbeat', code: 'ERR_HEARTBEAT_TIMEOUT', detail: death });
    this.socket.destroy(error);
  }
}
