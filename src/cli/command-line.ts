/**
 * What every command does with its arguments alike: node:util's parseArgs,
 * strict; a usage error on stderr with exit status 2; `--help` printed.
 * @packageDocumentation
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Says what was wrong with `tcp-keepalive <command>`'s arguments and exits with status 2. */
export function usageError(command: string, message: string): never {
  process.stderr.write(`tcp-keepalive ${command}: ${message}\n(see --help)\n`);
  process.exit(2);
}

/**
 * Parses `argv` against `options` (which should have `help: { type:
 * 'boolean', short: 'h' }`); undefined when `--help` was asked for and
 * `help` has been printed.
 */
export function parseCommand<const O extends Options>(
  command: string,
  help: string,
  argv: string[],
  options: O,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: boolean }>> | undefined {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (error) {
    usageError(command, (error as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(help);
    return undefined;
  }
  return parsed;
}
