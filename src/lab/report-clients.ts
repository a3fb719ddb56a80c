/**
 * The client comparison as a terminal table: clients down, ways of
 * protecting them across, each cell the seconds from the cut to the first
 * error the application was given — mid-operation / idle / idle then used —
 * then how each client said it, and the keep-alive each connection had.
 * @packageDocumentation
 */
import type { KeepAliveSettings } from '../socket';
import type { ClientResult, ClientRow } from './clients';
import { USE_MODES } from './drivers-config';

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function keepAliveText(k: KeepAliveSettings | null): string {
  if (k === null) return 'no connection';
  if (!k.enabled) return 'off';
  const time = (ms: number | null): string => (ms === null ? '?' : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
  return `${time(k.idle)} + ${k.count ?? '?'} × ${time(k.interval)}${k.userTimeout ? `, user timeout ${time(k.userTimeout)}` : ''}`;
}

function pad(cells: string[][]): string[] {
  const widths = (cells[0] as string[]).map((_, i) => Math.max(...cells.map((r) => (r[i] as string).length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd());
}

/** Renders the result as text. */
export function renderClientTable(result: ClientResult): string {
  const variants = [...new Set(result.rows.map((r) => r.variant))];
  const clients = [...new Set(result.rows.map((r) => r.client))];
  const row = (variant: string, client: string, mode: string): ClientRow | undefined =>
    result.rows.find((r) => r.variant === variant && r.client === client && r.mode === mode);
  const nodeOf = (variant: string): string => result.rows.find((r) => r.variant === variant)?.node ?? '';
  // The Node is named unless the variant's name already says it.
  const title = (v: string): string => (v.includes(nodeOf(v).replace(/^v/, '')) ? v : `${v} (${nodeOf(v)})`);
  const table: string[][] = [['client', ...variants.map(title)]];
  for (const client of clients) {
    table.push([
      client,
      ...variants.map((v) =>
        row(v, client, 'mid') === undefined
          ? '(not run)'
          : USE_MODES.map((m) => {
              const r = row(v, client, m);
              return r?.seenAfter == null ? 'never' : seconds(r.seenAfter);
            }).join(' / '),
      ),
    ]);
  }
  const out = [...pad(table), ''];
  out.push(
    `Seconds from the cut (every packet silently dropped) to the first error the application was given: mid-operation / idle / idle then used ${seconds(result.useAfter)} s after the cut. never = nothing within ${seconds(result.cap)} s.`,
    `Policy (protectConnections, tcp-keepalive/register): ${result.policy}${result.bound === null ? '' : ` — bound ${seconds(result.bound)} s after the last ACK; ${seconds(result.useAfter + result.bound)} s for idle then used`}.`,
    '',
    'How each client said it:',
  );
  for (const client of clients) {
    const hows = USE_MODES.map((m) => {
      const r = result.rows.find((x) => x.client === client && x.mode === m && x.how !== null);
      return `${m}: ${r ? `${r.how}${r.message ? ` "${r.message}"` : r.code ? ` (${r.code})` : ''}` : '—'}`;
    });
    out.push(`  ${client}: ${hows.join('; ')}`);
  }
  out.push('', 'Keep-alive of each connection, read from the kernel before the cut (mid-operation connection):');
  const ka: string[][] = [['client', ...variants]];
  for (const client of clients) {
    ka.push([client, ...variants.map((v) => (row(v, client, 'mid') === undefined ? '(not run)' : keepAliveText(row(v, client, 'mid')?.keepAlive ?? null)))]);
  }
  out.push(...pad(ka).map((l) => `  ${l}`));
  if (result.unix.length) {
    out.push('', `A UNIX-domain Redis connection in the same process after the cut: ${result.unix.map((u) => `${u.variant} ${u.ok ? 'answers' : 'BROKEN'}`).join(', ')}.`);
  }
  return out.join('\n');
}
