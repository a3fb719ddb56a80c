#!/usr/bin/env node
/**
 * The command line, `tcp-keepalive` (this file is the bin): argument
 * parsing, live progress and output for each command (compare.ts, ...); the
 * work itself is the lab's. The only module that loads the lab into a
 * process of the user's.
 *
 * May import: every layer below (../lab included) and Node. Nothing imports it.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { bindingPath } from '../native';
import { COMPARE_HELP, compare } from './compare';
import { PROBE_HELP, probe } from './probe';

const HELP = `Usage: tcp-keepalive <command> [options]

Commands:
  compare   kill real peers (network namespaces as root, loopback otherwise) and
            measure which way of detecting a dead peer notices, how fast, with which error
  probe     one connection live: TCP_INFO, the keep-alive timer, the bound within which it
            would be declared dead; connect to HOST:PORT, or attach read-only (--sport/--dport)
  version   the package's version, this Node, and the native binary in use

Run \`tcp-keepalive <command> --help\` for the command's options.

${COMPARE_HELP}
${PROBE_HELP}`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'compare') return compare(rest);
  if (command === 'probe') return probe(rest);
  if (command === 'version' || command === '--version' || command === '-v') return version();
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  process.stderr.write(`tcp-keepalive: unknown command "${command}"\n(see --help)\n`);
  process.exitCode = 2;
}

/** The version, and where the addon was loaded from (a prebuild or a local build). */
function version(): void {
  const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  process.stdout.write(
    `tcp-keepalive ${pkg.version}\nnode ${process.version} (N-API ${process.versions.napi}) ${process.platform}-${process.arch}\nbinary ${bindingPath()}\n`,
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`tcp-keepalive failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
