/**
 * A peer that speaks the channel protocol by hand, so it can also
 * misbehave: answer PINGs late, not at all, twice, or send PONGs nobody
 * asked for. argv[2]: JSON {@link ChannelPeerConfig}. Reports on stdout.
 * @packageDocumentation
 */
import * as net from 'node:net';
import { FrameDecoder, FrameType, encodeFrame, encodeHello, encodePingPong } from '../heartbeat/frame';

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
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChannelPeerConfig;
const report = (type: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ type, at: Date.now(), ...fields })}\n`);
};

const server = net.createServer((socket) => {
  report('connection');
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
      if (config.echo) socket.write(encodeFrame(FrameType.DATA, payload));
    },
    ping: (seq, timestamp) => {
      pings++;
      if (config.mute) return;
      if (config.pongDelayMs) setTimeout(() => pong(seq, timestamp), config.pongDelayMs);
      else pong(seq, timestamp);
    },
    pong: () => {},
  });
  socket.on('data', (chunk) => {
    try {
      decoder.push(chunk);
    } catch (error) {
      report('protocol-error', { message: (error as Error).message });
      socket.destroy();
    }
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
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
