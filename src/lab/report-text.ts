/**
 * The comparison as a terminal table: scenarios down, methods across.
 * @packageDocumentation
 */
import { METHODS } from './methods';
import type { LabResult, LabRow } from './run';
import { SCENARIOS } from './scenarios';

const ANSI = { green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' };

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** The cell of one method in one scenario, and its colour. */
export function cellOf(row: LabRow, margin: number): { text: string; colour: keyof typeof ANSI } {
  if (row.falseDeath) return { text: `FALSE DEATH ${row.detectedAfter === null ? '' : seconds(row.detectedAfter)}`.trim(), colour: 'red' };
  if (!row.detected) {
    if (row.scenario === 'transient') return { text: 'alive', colour: 'green' };
    return { text: row.bound === null ? '—' : 'missed', colour: row.bound === null ? 'dim' : 'red' };
  }
  const late = row.bound !== null && (row.detectedAfter as number) > row.bound + margin;
  return { text: `${seconds(row.detectedAfter as number)} ${row.code ?? row.reason ?? ''}`.trim(), colour: late ? 'yellow' : 'green' };
}

/** Renders the table; `colour` adds ANSI colours. */
export function renderTable(result: LabResult, colour: boolean): string {
  const paint = (text: string, c: keyof typeof ANSI): string => (colour ? `${ANSI[c]}${text}${ANSI.reset}` : text);
  const methods = METHODS.filter((m) => result.rows.some((r) => r.method === m.name));
  const scenarios = SCENARIOS.filter((s) => result.rows.some((r) => r.scenario === s.name));
  const header = ['scenario', ...methods.map((m) => m.name)];
  const body = scenarios.map((s) => [
    { text: s.name, colour: 'bold' as const },
    ...methods.map((m) => {
      const row = result.rows.find((r) => r.scenario === s.name && r.method === m.name);
      return row ? cellOf(row, result.settings.margin) : { text: '', colour: 'dim' as const };
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as { text: string }).text.length)));
  const line = (cells: string[], raw: string[]): string =>
    cells.map((c, i) => c + ' '.repeat((widths[i] as number) - (raw[i] as string).length)).join('  ');
  const out = [line(header.map((h) => paint(h, 'bold')), header), widths.map((w) => '─'.repeat(w)).join('  ')];
  for (const r of body) out.push(line(r.map((c) => paint(c.text, c.colour)), r.map((c) => c.text)));
  const b = result.bounds;
  out.push(
    '',
    `Detection time from the fault, and the error. — = this method cannot detect it; missed = it should have within the cap (${seconds(b.cap)}); alive = no false death in the transient outage.`,
    `Bounds: keep-alive ${seconds(b.keepAlive)} (idle ${result.settings.keepAlive.idle} + ${result.settings.keepAlive.count} × ${result.settings.keepAlive.interval} ms), ` +
      `user timeout ${seconds(b.userTimeout)}, Node's setKeepAlive ${seconds(b.node)} (its interval 1 s × 10), heartbeat ${seconds(b.heartbeat)}; transient outage ${seconds(b.transientOutage)}.`,
    `Methods: ${methods.map((m) => `${m.name} = ${m.title}`).join('; ')}.`,
  );
  if (result.skipped.length) out.push('', paint(`Skipped: ${result.skipped.map((s) => `${s.scenario} (${s.why})`).join('; ')}`, 'yellow'));
  return out.join('\n');
}
