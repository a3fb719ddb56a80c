/**
 * A client's {@link HeartbeatChannel} kept alive across deaths: connect with
 * a timeout, reconnect with exponential backoff after every death or failed
 * attempt, hold messages while disconnected.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { errnoOf, integerArg, invalidArgType, invalidArgValue, isNetSocket, libraryError, optionsObject, systemError } from '../common';
import { Backoff, validateBackoffOptions, type BackoffOptions } from './backoff';
import { HeartbeatChannel, validateChannelOptions, type ChannelDeathReport, type ChannelOptions } from './channel';

/** Options of {@link ReconnectingChannel}. */
export interface ReconnectingChannelOptions {
  /**
   * Where to connect: the options of `net.connect` (`{ host, port }`), or a
   * function returning a new, connecting socket for each attempt (TLS, a
   * proxy, a chosen local address).
   */
  connect: net.NetConnectOpts | (() => net.Socket);
  /** An attempt not connected within this many ms fails with ETIMEDOUT. Default 20 000 (gRPC's minimum). */
  connectTimeout?: number;
  /** Delays between attempts (defaults: gRPC's 1 s, × 1.6, up to 120 s, ± 20 %). */
  backoff?: BackoffOptions;
  /**
   * What {@link ReconnectingChannel.send} does while no connection is up:
   * `'queue'` (default) holds the message for the next connection, within
   * `maxQueuedMessages` and `maxQueuedBytes`; `'fail'` throws
   * ERR_TCP_KEEPALIVE_DISCONNECTED.
   */
  whileDisconnected?: 'queue' | 'fail';
  /** Messages held at most (while disconnected or behind backpressure). Default 1000. */
  maxQueuedMessages?: number;
  /** Payload bytes held at most. Default 16 MiB. */
  maxQueuedBytes?: number;
  /** Options of each connection's channel; its heartbeat must PING (the default). */
  channel?: ChannelOptions;
}

const OPTIONS: ReadonlySet<string> = new Set(['connect', 'connectTimeout', 'backoff', 'whileDisconnected', 'maxQueuedMessages', 'maxQueuedBytes', 'channel']);
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_QUEUED_MESSAGES = 1000;
const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const MAX_MS = 2 ** 31 - 1;
/**
 * A message written with no PING after it is confirmed by a PING sent this
 * long after it, ms, when the heartbeat sends none sooner (it does not while
 * traffic flows both ways). One a second stays far under a peer's PING rate
 * limit (10/s by default).
 */
const CONFIRM_AFTER_MS = 1000;

/** Announced before each wait between attempts. */
export interface ReconnectAttempt {
  /** The attempt about to be waited for, counted from 1 since the last connection. */
  attempt: number;
  /** The wait before it, ms (backoff and jitter applied). */
  delay: number;
  /** Why the previous attempt failed; absent after a death (its report came with 'dead'). */
  error?: Error;
}

/** Events of a {@link ReconnectingChannel}. */
export interface ReconnectingChannelEvents {
  /** A connection is up; messages held meanwhile are being sent on it, in order. */
  connected: [channel: HeartbeatChannel];
  /** A DATA frame's payload. */
  message: [payload: Buffer];
  /**
   * The connection died. `inDoubt`: messages written to it that the peer was
   * not yet proven to have read; each may or may not have arrived, and none
   * of them is sent again by the channel.
   */
  dead: [report: ChannelDeathReport, inDoubt: Buffer[]];
  /** The next attempt is waited for. */
  reconnecting: [attempt: ReconnectAttempt];
  /** {@link ReconnectingChannel.close} was called; nothing follows. */
  close: [];
}

type State = 'connecting' | 'connected' | 'waiting' | 'closed';

/**
 * A client connection that reconnects: a {@link HeartbeatChannel} to one
 * server, replaced by a new one after every death (heartbeat, kernel, peer
 * or local), with exponential backoff and jitter between attempts.
 *
 * What it guarantees about messages (it is not a durable queue):
 * - **At most once.** The channel never writes a message twice.
 * - **In order, not lost in this process.** A message held while
 *   disconnected, behind backpressure, or sent while a connection dies is
 *   written, in order, on the next connection; one that cannot be held
 *   makes `send` throw.
 * - **Confirmed or reported.** A written message is confirmed when the peer
 *   answers a PING sent after it (the stream is ordered, so the peer has
 *   read it). Messages written to a connection that died unconfirmed are
 *   given with its 'dead' event: the application decides whether to send
 *   them again.
 * - {@link ReconnectingChannel.close} ends the connection gracefully and
 *   returns the messages that were never written.
 */
export class ReconnectingChannel extends EventEmitter<ReconnectingChannelEvents> {
  private readonly connectTo: net.NetConnectOpts | (() => net.Socket);
  private readonly connectTimeout: number;
  private readonly backoff: Backoff;
  private readonly failWhileDisconnected: boolean;
  private readonly maxQueuedMessages: number;
  private readonly maxQueuedBytes: number;
  private readonly channelOptions: ChannelOptions | undefined;

  private state: State = 'connecting';
  private current: HeartbeatChannel | undefined;
  private attemptSocket: net.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempts = 0;
  /** Held, never written. */
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  /** Written to the current connection, not yet confirmed; `tags[i]` is the last PING sent before `unconfirmed[i]`. */
  private unconfirmed: Buffer[] = [];
  private tags: number[] = [];
  private confirmTimer: NodeJS.Timeout | undefined;
  private deathReport: ChannelDeathReport | undefined;

  constructor(options: ReconnectingChannelOptions) {
    super();
    const o = optionsObject<ReconnectingChannelOptions>('options', options, OPTIONS, 'a reconnecting channel option');
    if (typeof o.connect === 'function') {
      this.connectTo = o.connect;
    } else if (o.connect !== null && typeof o.connect === 'object') {
      this.connectTo = { ...o.connect };
    } else {
      throw invalidArgType('options.connect', 'an object (the options of net.connect) or a function returning a socket', o.connect);
    }
    this.connectTimeout =
      o.connectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : integerArg('options.connectTimeout', o.connectTimeout, 1, MAX_MS, ' (milliseconds)');
    this.backoff = new Backoff(validateBackoffOptions(o.backoff));
    if (o.whileDisconnected !== undefined && o.whileDisconnected !== 'queue' && o.whileDisconnected !== 'fail') {
      throw invalidArgValue('options.whileDisconnected', o.whileDisconnected, "must be 'queue' or 'fail'");
    }
    this.failWhileDisconnected = o.whileDisconnected === 'fail';
    this.maxQueuedMessages =
      o.maxQueuedMessages === undefined ? DEFAULT_MAX_QUEUED_MESSAGES : integerArg('options.maxQueuedMessages', o.maxQueuedMessages, 0, 2 ** 32, ' (messages)');
    this.maxQueuedBytes =
      o.maxQueuedBytes === undefined ? DEFAULT_MAX_QUEUED_BYTES : integerArg('options.maxQueuedBytes', o.maxQueuedBytes, 0, Number.MAX_SAFE_INTEGER, ' (bytes)');
    // Checked now, not at the first connection: a mistake shows where it was made.
    const checked = validateChannelOptions(o.channel);
    if (checked.heartbeatOptions === false || !checked.heartbeatOptions.sendPings) {
      throw invalidArgValue('options.channel.heartbeat', o.channel?.heartbeat, 'must PING: a reconnecting channel learns of deaths and confirms messages through its heartbeat');
    }
    this.channelOptions = o.channel;
    // On the next tick, so that what the first attempt reports finds the listeners.
    process.nextTick(() => {
      if (this.state !== 'closed') this.connectNow();
    });
  }

  /** The connection's channel while one is up. */
  get channel(): HeartbeatChannel | undefined {
    return this.current;
  }

  /** Whether a connection is up. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Messages held, not yet written to any connection. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  /** Messages written to the current connection and not yet confirmed by the peer. */
  get unconfirmedMessages(): number {
    return this.unconfirmed.length;
  }

  /**
   * Sends one message: written now when connected and nothing is held
   * (returns true), otherwise held for the next connection or the end of
   * backpressure (returns false). Throws ERR_SOCKET_CLOSED after
   * {@link close}, ERR_TCP_KEEPALIVE_DISCONNECTED when disconnected with
   * `whileDisconnected: 'fail'`, ERR_TCP_KEEPALIVE_QUEUE_FULL when holding it
   * would pass `maxQueuedMessages` or `maxQueuedBytes`. A held message is
   * copied, so the caller may reuse its buffer.
   */
  send(data: Buffer | Uint8Array | string): boolean {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw invalidArgType('data', 'of type string or an instance of Buffer or Uint8Array', data);
    if (this.state === 'closed') throw libraryError('ERR_SOCKET_CLOSED', 'The reconnecting channel is closed');
    const channel = this.current;
    if (channel !== undefined && this.queue.length === 0 && this.canWrite(channel)) {
      this.write(channel, typeof data === 'string' ? Buffer.from(data) : data);
      return true;
    }
    if (channel === undefined && this.failWhileDisconnected) {
      throw libraryError('ERR_TCP_KEEPALIVE_DISCONNECTED', `Not connected (${this.state}); the channel was made with whileDisconnected: 'fail'`);
    }
    const copy = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    if (this.queue.length + 1 > this.maxQueuedMessages || this.queuedBytes + copy.length > this.maxQueuedBytes) {
      throw libraryError(
        'ERR_TCP_KEEPALIVE_QUEUE_FULL',
        `Cannot hold the message: ${this.queue.length} messages (${this.queuedBytes} bytes) are held, at most ${this.maxQueuedMessages} messages and ${this.maxQueuedBytes} bytes`,
      );
    }
    this.queue.push(copy);
    this.queuedBytes += copy.length;
    return false;
  }

  /**
   * Stops reconnecting and ends the connection gracefully (what was written
   * is flushed; it is not confirmed any more). No timer of the channel is
   * left. Returns the messages that were never written. Idempotent.
   */
  close(): Buffer[] {
    if (this.state === 'closed') return [];
    this.state = 'closed';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopConfirming();
    this.attemptSocket?.destroy();
    this.attemptSocket = undefined;
    const channel = this.current;
    this.current = undefined;
    if (channel !== undefined) {
      channel.removeAllListeners('message');
      channel.close();
    }
    this.unconfirmed = [];
    this.tags = [];
    const unsent = this.queue.splice(0);
    this.queuedBytes = 0;
    process.nextTick(() => this.emit('close'));
    return unsent;
  }

  private canWrite(channel: HeartbeatChannel): boolean {
    // Only straight into the socket: a frame held in the channel's own queue
    // would go out after PINGs written meanwhile, and a PONG to those would
    // confirm it falsely.
    // A connection whose death was reported takes nothing more (after the
    // peer's FIN Node makes every write fail): held for the next connection.
    return this.deathReport === undefined && channel.queuedDataBytes === 0 && !channel.socket.writableNeedDrain && channel.socket.writable;
  }

  private write(channel: HeartbeatChannel, payload: Buffer | Uint8Array): void {
    this.unconfirmed.push(Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    this.tags.push(channel.lastPingSeq);
    channel.send(payload);
    if (this.confirmTimer === undefined) {
      this.confirmTimer = setTimeout(this.confirmPing, CONFIRM_AFTER_MS);
      this.confirmTimer.unref();
    }
  }

  /** A PONG for `seq`: every message written before PING `seq` was read by the peer. */
  private confirm(seq: number): void {
    let n = 0;
    while (n < this.tags.length && this.tags[n] < seq) n++;
    if (n === 0) return;
    this.unconfirmed.splice(0, n);
    this.tags.splice(0, n);
    if (this.unconfirmed.length === 0) this.stopConfirming();
  }

  private readonly confirmPing = (): void => {
    this.confirmTimer = undefined;
    const channel = this.current;
    if (channel === undefined || this.unconfirmed.length === 0) return;
    // No PING went out after the newest message: send one to confirm it.
    if (this.tags[this.tags.length - 1] >= channel.lastPingSeq) channel.heartbeat?.ping();
    this.confirmTimer = setTimeout(this.confirmPing, CONFIRM_AFTER_MS);
    this.confirmTimer.unref();
  };

  private stopConfirming(): void {
    clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
  }

  private readonly flush = (): void => {
    const channel = this.current;
    while (channel !== undefined && this.queue.length > 0 && this.canWrite(channel)) {
      const payload = this.queue.shift() as Buffer;
      this.queuedBytes -= payload.length;
      this.write(channel, payload);
    }
  };

  private connectNow(): void {
    this.timer = undefined;
    this.state = 'connecting';
    this.attempts++;
    let socket: net.Socket;
    try {
      const made: unknown = typeof this.connectTo === 'function' ? this.connectTo() : net.connect(this.connectTo);
      if (!isNetSocket(made)) throw invalidArgType('options.connect()', 'a function returning an instance of net.Socket', made);
      socket = made;
    } catch (error) {
      this.retry(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.attemptSocket = socket;
    let failure: Error | undefined;
    const timeout = setTimeout(() => {
      // As Node reports a connect that the kernel timed out.
      const error = systemError(errnoOf('ETIMEDOUT') ?? -110, 'connect');
      error.message += ` (not connected within ${this.connectTimeout} ms)`;
      socket.destroy(error);
    }, this.connectTimeout);
    // Errors of an attempt are reported with 'reconnecting', of a connection in its death report.
    const onError = (error: Error): void => {
      failure ??= error;
    };
    const onCloseEarly = (): void => {
      clearTimeout(timeout);
      socket.removeListener('connect', onConnect);
      if (this.attemptSocket !== socket) return; // closed by close()
      this.attemptSocket = undefined;
      this.retry(failure ?? libraryError('ERR_SOCKET_CLOSED', 'The connection closed before it was established'));
    };
    const onConnect = (): void => {
      clearTimeout(timeout);
      socket.removeListener('close', onCloseEarly);
      this.attemptSocket = undefined;
      if (this.state === 'closed') {
        socket.destroy();
        return;
      }
      this.established(socket);
    };
    socket.on('error', onError);
    socket.once('close', onCloseEarly);
    socket.once('connect', onConnect);
  }

  private established(socket: net.Socket): void {
    let channel: HeartbeatChannel;
    try {
      channel = new HeartbeatChannel(socket, this.channelOptions);
    } catch (error) {
      // Keep-alive options the OS refused, for one: this connection fails like an attempt.
      socket.destroy();
      this.retry(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.state = 'connected';
    this.current = channel;
    this.attempts = 0;
    this.backoff.reset();
    this.deathReport = undefined;
    channel.on('message', (payload) => this.emit('message', payload));
    channel.on('dead', (report) => {
      this.deathReport = report;
    });
    channel.heartbeat?.on('pong', (seq) => this.confirm(seq));
    socket.on('drain', this.flush);
    channel.once('close', () => this.lost(channel));
    this.emit('connected', channel);
    this.flush();
  }

  /** The connection `channel` closed: report it, then reconnect. */
  private lost(channel: HeartbeatChannel): void {
    channel.socket.removeListener('drain', this.flush);
    if (this.current !== channel) return; // close() let go of it
    this.current = undefined;
    this.stopConfirming();
    const inDoubt = this.unconfirmed;
    this.unconfirmed = [];
    this.tags = [];
    // The watcher reports before the socket's 'close' reaches the channel; the
    // fallback is for a watcher stopped by someone else.
    const report = this.deathReport ?? { reason: 'unknown', detectedBy: 'local', at: Date.now(), via: 'event' };
    this.deathReport = undefined;
    this.state = 'waiting';
    this.emit('dead', report, inDoubt);
    if (this.state === 'waiting') this.schedule(); // unless a listener closed the channel
  }

  private retry(error: Error): void {
    if (this.state === 'closed') return;
    this.state = 'waiting';
    this.schedule(error);
  }

  private schedule(error?: Error): void {
    const delay = this.backoff.next();
    this.timer = setTimeout(() => this.connectNow(), delay);
    const attempt: ReconnectAttempt = { attempt: this.attempts + 1, delay };
    if (error !== undefined) attempt.error = error;
    this.emit('reconnecting', attempt);
  }
}
