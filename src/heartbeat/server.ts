/**
 * A server that speaks the channel protocol: it answers PINGs and reaps
 * clients that stop heartbeating (the "kick the player whose PC crashed" case).
 * @packageDocumentation
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { DeathReport } from '../watcher';
import { invalidArgType } from '../errors';
import { functionArg, optionsObject } from '../validate';
import { CHANNEL_OPTIONS, HeartbeatChannel, validateChannelOptions, type ChannelOptions } from './channel';

const SERVER_OPTIONS: ReadonlySet<string> = new Set([...CHANNEL_OPTIONS, 'tls']);

/** Options of {@link createHeartbeatServer}. */
export interface HeartbeatServerOptions extends ChannelOptions {
  /** Serve TLS with these options instead of plain TCP. */
  tls?: tls.TlsOptions;
}

/** A net.Server (or tls.Server) whose connections are {@link HeartbeatChannel}s. */
export type HeartbeatServer = (net.Server | tls.Server) & {
  /** Emitted with the channel and the report when a client was reaped or otherwise died. */
  on(event: 'reaped', listener: (channel: HeartbeatChannel, report: DeathReport) => void): HeartbeatServer;
};

/**
 * Creates a server whose every connection becomes a {@link HeartbeatChannel}.
 * By default the server only answers PINGs and judges (`sendPings: false`):
 * a client silent for idle + interval × probes is reaped (destroyed with
 * ERR_HEARTBEAT_TIMEOUT) and `'reaped'` is emitted.
 */
export function createHeartbeatServer(options: HeartbeatServerOptions, onChannel: (channel: HeartbeatChannel) => void): HeartbeatServer {
  optionsObject('options', options, SERVER_OPTIONS, 'a heartbeat server option');
  functionArg('onChannel', onChannel);
  const { tls: tlsOptions, ...channelOptions } = options ?? {};
  if (tlsOptions !== undefined && (tlsOptions === null || typeof tlsOptions !== 'object')) throw invalidArgType('options.tls', 'of type object', tlsOptions);
  // Checked now, not at the first connection.
  validateChannelOptions(channelOptions);
  const heartbeat = channelOptions.heartbeat === false ? false : { sendPings: false, ...channelOptions.heartbeat };
  const server: net.Server | tls.Server = tlsOptions ? tls.createServer(tlsOptions) : net.createServer();
  server.on(tlsOptions ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    const channel = new HeartbeatChannel(socket, { ...channelOptions, heartbeat });
    socket.on('error', () => {}); // reported through the channel's 'dead'
    channel.on('dead', (report) => server.emit('reaped', channel, report));
    onChannel(channel);
  });
  return server as HeartbeatServer;
}
