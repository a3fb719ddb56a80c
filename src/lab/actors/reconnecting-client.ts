/**
 * A client that keeps a {@link ReconnectingChannel} to the channel peer and
 * sends numbered messages ("m1", "m2", ...), reporting on stdout: 'connected',
 * 'dead' (reason, messages in doubt), 'reconnecting' (attempt, delay, error
 * code), 'sent' totals. argv[2]: JSON {@link ReconnectingClientConfig}.
 * Commands on stdin: { cmd: 'send-every', ms }, { cmd: 'stop-sending' },
 * { cmd: 'totals' }, { cmd: 'close' }.
 * @packageDocumentation
 */
import { createInterface } from 'node:readline';
import { ReconnectingChannel, type BackoffOptions, type HeartbeatOptions } from '../../heartbeat';
import { report } from './emit';

/** What the reconnecting client is told to do, as argv[2] JSON. */
export interface ReconnectingClientConfig {
  host: string;
  port: number;
  heartbeat?: HeartbeatOptions;
  backoff?: BackoffOptions;
  connectTimeout?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ReconnectingClientConfig;

process.on('uncaughtException', (error) => {
  report('uncaught', { message: String(error?.stack ?? error) });
  process.exit(70);
});

const channel = new ReconnectingChannel({
  connect: { host: config.host, port: config.port },
  backoff: config.backoff,
  connectTimeout: config.connectTimeout,
  channel: { heartbeat: config.heartbeat },
});
let sent = 0;
let sender: NodeJS.Timeout | undefined;
const inDoubt: string[] = [];

channel.on('connected', () => report('connected'));
channel.on('dead', (r, doubt) => {
  inDoubt.push(...doubt.map(String));
  report('dead', { reason: r.reason, code: r.code, detectedBy: r.detectedBy, inDoubt: doubt.map(String) });
});
channel.on('reconnecting', (a) => report('reconnecting', { attempt: a.attempt, delay: a.delay, code: (a.error as NodeJS.ErrnoException | undefined)?.code }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string; ms?: number };
  if (command.cmd === 'send-every') {
    sender = setInterval(() => {
      sent++;
      channel.send(`m${sent}`);
    }, command.ms ?? 100);
  } else if (command.cmd === 'stop-sending') {
    clearInterval(sender);
  } else if (command.cmd === 'totals') {
    report('totals', { sent, queued: channel.queuedMessages, unconfirmed: channel.unconfirmedMessages, inDoubt });
  } else if (command.cmd === 'close') {
    clearInterval(sender);
    report('closed', { unsent: channel.close().map(String) });
  }
});
process.stdin.on('end', () => process.exit(0));
