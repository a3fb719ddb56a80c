/**
 * Heartbeats for protocols that already have ping/pong: WebSocket (the `ws`
 * package), HTTP/2 sessions, and anything else through a generic adapter.
 * @packageDocumentation
 */
import type * as http2 from 'node:http2';
import { functionArg, invalidArgType, optionsObject } from '../common';
import { Heartbeat, validateHeartbeatOptions, type HeartbeatDeath, type HeartbeatOptions, type HeartbeatTransport } from './engine';
import { clock } from './scheduler';

/** The part of a `ws` WebSocket the adapter uses (a `ws` WebSocket is one, for the type checker too). */
export interface WebSocketLike {
  ping(data?: Buffer, mask?: boolean, cb?: (err?: Error) => void): void;
  terminate(): void;
  on(event: 'pong', listener: (data: Buffer) => void): unknown;
  on(event: 'ping' | 'message' | 'close', listener: () => void): unknown;
  removeListener(event: 'pong', listener: (data: Buffer) => void): unknown;
  removeListener(event: 'ping' | 'message' | 'close', listener: () => void): unknown;
}

/** Options of the adapters: timing plus what to do on death. */
export interface AdapterOptions extends HeartbeatOptions {
  /** Called once when the heartbeat declares death (after the connection was closed). */
  onDead?: (death: HeartbeatDeath) => void;
}

function pingPayload(seq: number, timestamp: number, size: number): Buffer {
  const payload = Buffer.alloc(size);
  payload.writeUInt32BE(seq >>> 0, 0);
  if (size >= 12) payload.writeDoubleBE(timestamp, 4);
  else payload.writeFloatBE(timestamp, 4);
  return payload;
}

/**
 * Heartbeat over a `ws` WebSocket: PINGs are WebSocket pings carrying
 * seq + timestamp (12 bytes), the peer's automatic pong echoes them. Any
 * message, ping or pong counts as liveness. On death the socket is
 * terminated (its TCP connection destroyed). Works for both ends.
 */
export function heartbeatWebSocket(ws: WebSocketLike, options?: AdapterOptions): Heartbeat {
  methods('ws', ws, ['ping', 'terminate', 'on', 'removeListener']);
  const { onDead, timing } = adapterOptions(options);
  const heartbeat = new Heartbeat(
    {
      sendPing: (seq, timestamp) => {
        try {
          ws.ping(pingPayload(seq, timestamp, 12), undefined, () => {});
        } catch {
          // not open (yet, or any more): an unanswered PING, the verdict decides
        }
      },
    },
    timing,
  );
  const onPong = (data: Buffer): void => {
    if (Buffer.isBuffer(data) && data.length === 12) heartbeat.pong(data.readUInt32BE(0), data.readDoubleBE(4));
    else heartbeat.received();
  };
  const onActivity = (): void => heartbeat.received();
  const onClose = (): void => {
    heartbeat.stop();
    ws.removeListener('pong', onPong);
    ws.removeListener('ping', onActivity);
    ws.removeListener('message', onActivity);
  };
  ws.on('pong', onPong);
  ws.on('ping', onActivity);
  ws.on('message', onActivity);
  ws.on('close', onClose);
  heartbeat.on('dead', (death) => {
    ws.terminate();
    onDead?.(death);
  });
  return heartbeat;
}

/**
 * Heartbeat over an HTTP/2 session with `session.ping()` (8-byte payload:
 * seq + a 32-bit timestamp; the RTT comes from the ping's own duration).
 * Every acknowledged ping and every new stream counts as liveness; call
 * `heartbeat.received()` for other activity you see. On death the session
 * is destroyed.
 */
export function heartbeatHttp2(session: http2.Http2Session, options?: AdapterOptions): Heartbeat {
  methods('session', session, ['ping', 'destroy', 'on', 'once', 'removeListener']);
  const { onDead, timing } = adapterOptions(options);
  const heartbeat = new Heartbeat(
    {
      sendPing: (seq, timestamp) => {
        if (session.destroyed || session.closed) return;
        try {
          session.ping(pingPayload(seq, timestamp, 8), (err, duration) => {
            if (!err) heartbeat.pong(seq, heartbeatClockMinus(duration));
          });
        } catch {
          // too many outstanding pings (ERR_HTTP2_PING_CANCEL etc.): the verdict decides
        }
      },
    },
    timing,
  );
  const onActivity = (): void => heartbeat.received();
  session.on('stream', onActivity);
  session.on('remoteSettings', onActivity);
  session.once('close', () => {
    heartbeat.stop();
    session.removeListener('stream', onActivity);
    session.removeListener('remoteSettings', onActivity);
  });
  heartbeat.on('dead', (death) => {
    session.destroy();
    onDead?.(death);
  });
  return heartbeat;
}

/** HTTP/2 reports the RTT itself: turn it back into an echoed timestamp for the engine. */
function heartbeatClockMinus(durationMs: number): number {
  return clock() - durationMs;
}

/** What {@link createHeartbeat} needs from your protocol. */
export interface GenericHeartbeatOptions extends AdapterOptions {
  /** Send a ping carrying seq and timestamp however your protocol can; echo them back via `heartbeat.pong(seq, timestamp)`. */
  sendPing(seq: number, timestamp: number): void;
  /** Optional: true while a ping is stuck behind your own outgoing buffer that is draining. */
  isDraining?(): boolean;
}

/**
 * A heartbeat for any protocol: you send pings, report pongs with
 * `heartbeat.pong(seq, timestamp)` and every received chunk with
 * `heartbeat.received()`; `onDead` (and the 'dead' event) tell you when to
 * drop the connection.
 */
export function createHeartbeat(options: GenericHeartbeatOptions): Heartbeat {
  if (options === undefined) throw invalidArgType('options', 'of type object', options);
  const { onDead, timing, sendPing, isDraining } = adapterOptions(options, GENERIC_OPTIONS);
  functionArg('options.sendPing', sendPing);
  const transport: HeartbeatTransport = { sendPing: sendPing as HeartbeatTransport['sendPing'] };
  if (isDraining !== undefined) {
    functionArg('options.isDraining', isDraining);
    transport.isDraining = isDraining as () => boolean;
  }
  const heartbeat = new Heartbeat(transport, timing);
  if (onDead) heartbeat.on('dead', onDead);
  return heartbeat;
}

const TIMING_OPTIONS = ['idle', 'interval', 'count', 'jitter', 'sendPings'];
const ADAPTER_OPTIONS: ReadonlySet<string> = new Set([...TIMING_OPTIONS, 'onDead']);
const GENERIC_OPTIONS: ReadonlySet<string> = new Set([...ADAPTER_OPTIONS, 'sendPing', 'isDraining']);

/** Reads adapter options once: the callbacks, and the checked timing. */
function adapterOptions(
  options: unknown,
  known: ReadonlySet<string> = ADAPTER_OPTIONS,
): { onDead?: (death: HeartbeatDeath) => void; timing: HeartbeatOptions; sendPing?: unknown; isDraining?: unknown } {
  const o = optionsObject<GenericHeartbeatOptions>('options', options, known, 'a heartbeat option');
  const { onDead, sendPing, isDraining, ...timing } = o;
  if (onDead !== undefined) functionArg('options.onDead', onDead);
  return { onDead, timing: validateHeartbeatOptions(timing), sendPing, isDraining };
}

/** The object has the methods the adapter calls (so a wrong argument fails now, not at the first PING). */
function methods(name: string, value: unknown, names: string[]): void {
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'an object with ' + names.join(', ') + ' methods', value);
  for (const method of names) functionArg(`${name}.${method}`, (value as Record<string, unknown>)[method]);
}
