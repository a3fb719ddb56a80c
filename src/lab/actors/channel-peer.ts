/**
 * A peer that speaks the channel protocol by hand, so it can also
 * misbehave: answer PINGs late, not at all, twice, or send PONGs nobody
 * asked for. argv[2]: JSON {@link ChannelPeerConfig}. Reports on stdout.
 * @packageDocumentation
 */
import * as net from 'node:net';
import { FrameDecoder, FrameType, encodeFrame, encodeHello, encodePingPong } from '../../heartbeat';
import { report } from './emit';

/** How the channel peer behaves. */
export interface ChannelPeerConfig {
  host: string;
  port: number;
  /** Delay before each PONG, ms (0: at once). */
  pongDelayMs?: number;
  /** Never answer PINGs (reads everything, sends nothing but its HELLO). */
  mute?: boolean;
  /** Send every PONG twice. */
  duplicatePongs?: boolean;
  /** Send an unsolicited PONG (seq 999999) this often, ms. */
  unsolicitedPongEveryMs?: number;
  /** Echo DATA frames back. */
  echo?: boolean;
  /** Send a 100-byte DATA frame to every client this often, ms. */
  sendEveryMs?: number;
  /** Report every DATA payload received ('data', as text). */
  reportData?: boolean;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChannelPeerConfig;

const sockets = new Set<net.Socket>();
let pingsReceived = 0;

const server = net.createServer((socket) => {
  report('connection');
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', (error: NodeJS.ErrnoException) => report('socket-error', { code: error.code }));
  socket.write(encodeHello());
  let pings = 0;
  const pong = (seq: number, timestamp: number): void => {
    if (socket.destroyed) return;
    const frame = encodePingPong(FrameType.PONG, seq, timestamp);
    socket.write(frame);
    if (config.duplicatePongs) socket.write(frame);
  };
  const decoder = new FrameDecoder({
    data: (payload) => {
      if (config.reportData) report('data', { payload: payload.toString() });
      if (config.echo) socket.write(encodeFrame(FrameType.DATA, payload));
    },
    ping: (seq, timestamp) => {
      pings++;
      pingsReceived++;
      if (config.mute) return;
      if (config.pongDelayMs) setTimeout(() => pong(seq, timestamp), config.pongDelayMs);
      else pong(seq, timestamp);
    },
    pong: () => {},
  });
  // A client that does not open with a HELLO is plain TCP: read and discard.
  let raw = false;
  let first = true;
  socket.on('data', (chunk) => {
    if (first) {
      first = false;
      raw = !(chunk.length >= 5 && chunk.readUInt32BE(0) >= 6 && chunk[4] === FrameType.HELLO);
    }
    if (raw) return;
    try {
      decoder.push(chunk);
    } catch (error) {
      report('protocol-error', { message: (error as Error).message });
      socket.destroy();
    }
  });
  const sender = config.sendEveryMs
    ? setInterval(() => socket.write(encodeFrame(FrameType.DATA, Buffer.alloc(100, 0x62))), config.sendEveryMs)
    : undefined;
  socket.on('close', () => {
    if (sender) clearInterval(sender);
  });
  const unsolicited = config.unsolicitedPongEveryMs
    ? setInterval(() => pong(999_999, 0), config.unsolicitedPongEveryMs)
    : undefined;
  socket.on('close', () => {
    if (unsolicited) clearInterval(unsolicited);
    report('closed', { pings });
  });
});
server.listen(config.port, config.host, () => report('listening', { port: (server.address() as net.AddressInfo).port }));
// Commands on stdin: { cmd: 'reset' } aborts every connection with RST;
// { cmd: 'pings' } reports how many PINGs arrived, over all connections.
let input = '';
process.stdin.on('data', (chunk) => {
  input += chunk.toString();
  let newline: number;
  while ((newline = input.indexOf('\n')) >= 0) {
    const line = input.slice(0, newline);
    input = input.slice(newline + 1);
    const command = JSON.parse(line) as { cmd: string };
    if (command.cmd === 'reset') for (const s of sockets) s.resetAndDestroy();
    if (command.cmd === 'pings') report('pings', { pings: pingsReceived });
  }
});
process.stdin.on('end', () => process.exit(0));
