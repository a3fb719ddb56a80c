/**
 * How lab actors (child processes) report: one JSON line per event on
 * stdout, stamped with Date.now() so times compare across processes.
 * @packageDocumentation
 */
export function report(type: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ type, at: Date.now(), ...fields })}\n`);
}
