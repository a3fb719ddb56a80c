/**
 * `tcp-keepalive compare --clients pg,redis,fetch,http`: the application's
 * own database and HTTP clients against real servers, the path silently
 * dropped, with their defaults, their own keep-alive options, and this
 * library's policy.
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { clientComparisonBlocker, renderClientTable, runClientComparison, type ClientVariant, type DriverName } from '../lab';

/** What `compare --clients` takes from the command line. */
export interface ClientCompareOptions {
  clients: DriverName[];
  policy: string;
  ownKeepAlive: number;
  cap: number;
  /** The Node that runs the clients (default: this one). */
  node: string | undefined;
  json: string | undefined;
}

/**
 * The columns: defaults, the clients' own keep-alive, the policy — and,
 * where Node publishes too little, the opt-in patch and pg's socket factory.
 */
function variantsFor(node: string | undefined, clients: readonly DriverName[]): ClientVariant[] {
  const version = node === undefined ? process.version : execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const variants: ClientVariant[] = [
    { name: 'its defaults', protection: 'none' },
    { name: 'its own keep-alive', protection: 'own' },
    { name: 'tcp-keepalive', protection: 'library' },
  ];
  // Before 22.17 Node publishes no hook for new net.Socket().connect() (pg) nor tls.connect().
  if (major < 22 || (major === 22 && minor < 17)) {
    variants.push({ name: 'tcp-keepalive + patchSocketConnect', protection: 'library', patchSocketConnect: true });
    if (clients.includes('pg')) variants.push({ name: "pg's stream: socketFactory", protection: 'factory', clients: ['pg'] });
  }
  return node === undefined ? variants : variants.map((v) => ({ ...v, node }));
}

/** Runs the client comparison and prints its table. */
export async function compareClients(o: ClientCompareOptions): Promise<void> {
  const blocker = clientComparisonBlocker(o.clients);
  if (blocker !== undefined) {
    process.stderr.write(`tcp-keepalive compare --clients: cannot run here: ${blocker}\n`);
    process.exitCode = 1;
    return;
  }
  const variants = variantsFor(o.node, o.clients);
  process.stderr.write(
    `tcp-keepalive compare --clients ${o.clients.join(',')}: ${variants.length} ways × ${o.clients.length} clients × 3 uses, one cut, up to ${(o.cap / 1000).toFixed(0)} s after it\n`,
  );
  const result = await runClientComparison({
    clients: o.clients,
    variants,
    policy: o.policy,
    ownKeepAlive: o.ownKeepAlive,
    cap: o.cap,
    // The application's own drivers: those of the project the command runs in.
    resolveFrom: process.cwd(),
    onProgress: (event) => {
      if (event.type === 'ready') process.stderr.write('clients connected; requests in flight; cutting the path\n');
      if (event.type === 'seen') process.stderr.write(`  ${(event.after / 1000).toFixed(1)} s  ${event.variant}: ${event.client} (${event.mode})\n`);
    },
  });
  process.stdout.write(`${renderClientTable(result)}\n`);
  if (o.json) {
    writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`JSON written to ${o.json}\n`);
  }
}
