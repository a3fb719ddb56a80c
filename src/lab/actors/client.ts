/**
 * The client of the dead-peer lab: connects to the peer, applies keep-alive
 * with this library, samples TCP_INFO so the last ACK before a death is
 * known (Node closes the fd before it emits 'error'), and reports on stdout.
 * argv[2]: JSON { host, port, keepAlive? }. Commands on stdin:
 * { cmd: 'write', bytes, reportDone? }, { cmd: 'write-every', ms, bytes }, { cmd: 'stop-writing' }, { cmd: 'pause' },
 * { cmd: 'resume' }, { cmd: 'info' }, { cmd: 'totals' }. An exception that escapes is reported as 'uncaught'
 * (exit code 70), so a test can tell it from a clean run.
 * @packageDocumentation
 */
import * as net from 'node:net';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { watch } from '../../death';
import { HeartbeatChannel, type HeartbeatOptions } from '../../heartbeat';
import { getTcpInfo, setKeepAlive, type KeepAliveOptions, type TcpInfo } from '../../socket';
import { report } from './emit';

/** What the client is told to do, as argv[2] JSON. */
export interface ClientConfig {
  host: string;
  port: number;
  /** Applied with setKeepAlive on connect. */
  keepAlive?: KeepAliveOptions;
  /** Also run a watcher (sampling period in ms) and report its 'dead'. */
  watchSampleInterval?: number;
  /** Pause reading right after connecting. */
  pause?: boolean;
  /** TCP_INFO sampling period of the client itself, ms (default 20). */
  sampleInterval?: number;
  /** Speak the channel protocol with this heartbeat (its watcher reports 'dead'). */
  heartbeat?: HeartbeatOptions;
  /** Call Node's own socket.setKeepAlive(true, ms) on connect. */
  nodeKeepAlive?: number;
  /** Call Node 24.21+'s socket.setKeepAlive(true, idle, interval, count) on connect (ms, ms, probes). */
  nodeKeepAliveFull?: { idle: number; interval: number; count: number };
}

const config = JSON.parse(process.argv[2] ?? '{}') as ClientConfig;

let last: { at: number; info: TcpInfo } | undefined;
let channel: HeartbeatChannel | undefined;
let writer: NodeJS.Timeout | undefined;
let written = 0;
const hash = createHash('sha256');
// Messages echoed back by a channel peer, hashed in arrival order.
let echoed = 0;
const echoHash = createHash('sha256');

process.on('uncaughtException', (error) => {
  report('uncaught', { message: String(error?.stack ?? error) });
  process.exit(70);
});

const socket = new net.Socket();
// Paused before connect, Node never starts reading: libuv does not poll it.
if (config.pause) socket.pause();
socket.connect(config.port, config.host, () => {
  if (config.nodeKeepAlive !== undefined) socket.setKeepAlive(true, config.nodeKeepAlive);
  if (config.nodeKeepAliveFull) {
    const { idle, interval, count } = config.nodeKeepAliveFull;
    (socket.setKeepAlive as (enable: boolean, idle: number, interval: number, count: number) => net.Socket)(true, idle, interval, count);
  }
  const settings = config.keepAlive ? setKeepAlive(socket, config.keepAlive) : null;
  if (config.heartbeat) {
    channel = new HeartbeatChannel(socket, { heartbeat: config.heartbeat, sampleInterval: config.watchSampleInterval });
    channel.on('dead', (deathReport) => report('dead', { report: deathReport, lastAckAt: lastAckAt() }));
    channel.on('message', (payload) => {
      echoed += payload.length;
      echoHash.update(payload);
    });
  } else if (config.watchSampleInterval !== undefined) {
    watch(socket, { sampleInterval: config.watchSampleInterval }).on('dead', (deathReport) =>
      report('dead', { report: deathReport, lastAckAt: lastAckAt() }),
    );
  }
  report('connected', { settings, localPort: socket.localPort });
  sampler.refresh();
});
const sampler = setInterval(() => {
  if (socket.destroyed || socket.pending) return;
  try {
    last = { at: Date.now(), info: getTcpInfo(socket) };
  } catch {
    // the socket is closing; the last good sample stands
  }
}, config.sampleInterval ?? 20);

function lastAckAt(): number | undefined {
  const ago = last?.info.lastAckReceivedAgo;
  return last && ago !== undefined ? last.at - ago : undefined;
}

socket.on('data', (chunk) => report('data', { bytes: chunk.length }));
socket.on('end', () => report('end', { lastAckAt: lastAckAt() }));
socket.on('error', (error: NodeJS.ErrnoException) => {
  report('error', { code: error.code, errno: error.errno, syscall: error.syscall, lastAckAt: lastAckAt(), lastInfo: last?.info });
});
socket.on('close', () => {
  clearInterval(sampler);
  if (writer) clearInterval(writer);
  report('close');
});

/** Writes `bytes` of a counting pattern (so loss or reordering changes the hash). */
function write(bytes: number, reportDone = false): void {
  const chunk = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) chunk[i] = (written + i) & 0xff;
  written += bytes;
  hash.update(chunk);
  if (channel) channel.send(chunk);
  else if (reportDone) socket.write(chunk, (error?: NodeJS.ErrnoException | null) => report('write-done', { code: error?.code ?? null }));
  else socket.write(chunk);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string; ms?: number; bytes?: number; reportDone?: boolean };
  switch (command.cmd) {
    case 'write':
      write(command.bytes ?? 1, command.reportDone);
      break;
    case 'write-every':
      if (writer) clearInterval(writer);
      writer = setInterval(() => write(command.bytes ?? 100), command.ms ?? 100);
      break;
    case 'stop-writing':
      if (writer) clearInterval(writer);
      report('written', { bytes: written, sha256: hash.copy().digest('hex') });
      break;
    case 'pause':
      socket.pause();
      break;
    case 'resume':
      socket.resume();
      break;
    case 'info':
      report('info', {
        info: last?.info,
        lastAckAt: lastAckAt(),
        writableLength: socket.writableLength,
        queuedDataBytes: channel?.queuedDataBytes ?? 0,
      });
      break;
    case 'totals':
      report('totals', { written, sha256: hash.copy().digest('hex'), echoed, echoSha256: echoHash.copy().digest('hex') });
      break;
  }
});
process.stdin.on('end', () => process.exit(0));
