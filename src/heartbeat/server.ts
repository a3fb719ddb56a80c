/**
 * A server that speaks the channel protocol: it answers PINGs and reaps
 * clients that stop heartbeating (the "kick the player whose PC crashed" case).
 * @packageDocumentation
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { functionArg, invalidArgType, optionsObject } from '../common';
import { CHANNEL_OPTIONS, HeartbeatChannel, validateChannelOptions, type ChannelDeathReport, type ChannelOptions } from './channel';

const SERVER_OPTIONS: ReadonlySet<string> = new Set([...CHANNEL_OPTIONS, 'tls']);

/** Options of {@link createHeartbeatServer}. */
export interface HeartbeatServerOptions extends ChannelOptions {
  /** Serve TLS with these options instead of plain TCP. */
  tls?: tls.TlsOptions;
}

/** A net.Server (or tls.Server) whose connections are {@link HeartbeatChannel}s. */
export type HeartbeatServer = (net.Server | tls.Server) & {
  /** Emitted with the channel and the report when a client was reaped or otherwise died. */
  on(event: 'reaped', listener: (channel: HeartbeatChannel, report: ChannelDeathReport) => void): HeartbeatServer;
  /**
   * A connection could not be set up as a channel (its keep-alive could not
   * be applied, it closed at once, ...): the socket has been destroyed.
   * Without a listener the error becomes a process warning.
   */
  on(event: 'clientError', listener: (error: Error, socket: net.Socket) => void): HeartbeatServer;
};

/**
 * Creates a server whose every connection becomes a {@link HeartbeatChannel}.
 * By default the server only answers PINGs and judges (`sendPings: false`):
 * a client silent for idle + interval × count is reaped (destroyed with
 * ERR_HEARTBEAT_TIMEOUT) and `'reaped'` is emitted.
 */
export function createHeartbeatServer(options: HeartbeatServerOptions, onChannel: (channel: HeartbeatChannel) => void): HeartbeatServer {
  const { tls: tlsOptions, ...channelOptions } = optionsObject<HeartbeatServerOptions>('options', options, SERVER_OPTIONS, 'a heartbeat server option');
  functionArg('onChannel', onChannel);
  if (tlsOptions !== undefined && (tlsOptions === null || typeof tlsOptions !== 'object')) throw invalidArgType('options.tls', 'of type object', tlsOptions);
  // Everything that can be known before a connection exists is checked now;
  // each connection gets the values read here, not the caller's objects again.
  const r = validateChannelOptions(channelOptions, false);
  const perConnection: ChannelOptions = {
    heartbeat: r.heartbeatOptions,
    maxFrameBytes: r.max,
    pingRateLimit: r.pingLimit ?? false,
    helloTimeout: r.helloTimeout,
    frameTimeout: r.frameTimeout,
    sampleInterval: r.watchOptions.sampleInterval,
  };
  if (r.watchOptions.keepAlive !== undefined) perConnection.keepAlive = r.watchOptions.keepAlive;
  const server: net.Server | tls.Server = tlsOptions ? tls.createServer(tlsOptions) : net.createServer();
  server.on(tlsOptions ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    // The server owns these sockets: their errors are reported through 'reaped'.
    socket.on('error', () => {});
    let channel: HeartbeatChannel;
    try {
      channel = new HeartbeatChannel(socket, perConnection);
    } catch (error) {
      // What only a connection can reveal (the kernel's own values for an
      // 'auto' user timeout, a socket already closed): that one connection
      // goes, the server goes on, and the failure is reported, never thrown
      // out of Node's 'connection' listener.
      socket.destroy();
      if (server.listenerCount('clientError') > 0) server.emit('clientError', error, socket);
      else process.emitWarning(error as Error);
      return;
    }
    channel.on('dead', (report) => server.emit('reaped', channel, report));
    onChannel(channel);
  });
  return server as HeartbeatServer;
}
