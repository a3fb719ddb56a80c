/**
 * The comparison as one self-contained HTML page (no scripts, no CDN): an
 * SVG chart of detection time per method per scenario with each bound
 * marked, and the table.
 * @packageDocumentation
 */
import { METHODS } from './methods';
import type { LabResult } from './run';
import { SCENARIOS } from './scenarios';
import { cellOf } from './report-text';

const COLOURS: Record<string, string> = {
  none: '#8c8c8c',
  node: '#e07b39',
  'node-full': '#c9a227',
  keepalive: '#3b7dd8',
  'keepalive-ut': '#1f4e99',
  heartbeat: '#2e9e5b',
  'heartbeat-keepalive': '#7a4fc2',
};

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const s = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** Renders the report page. */
export function renderHtml(result: LabResult): string {
  const methods = METHODS.filter((m) => result.rows.some((r) => r.method === m.name));
  const scenarios = SCENARIOS.filter((sc) => result.rows.some((r) => r.scenario === sc.name));
  const cap = result.bounds.cap;
  const labelW = 250;
  const plotW = 640;
  const barH = 14;
  const groupGap = 26;
  const x = (ms: number): number => labelW + (Math.min(ms, cap) / cap) * plotW;
  const parts: string[] = [];
  let y = 30;
  // Axis ticks every second (fast) or every 10 s (realistic).
  const step = cap > 30_000 ? 10_000 : 1000;
  for (let t = 0; t <= cap; t += step) {
    parts.push(`<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="20" y2="__H__" stroke="#eee"/>`);
    parts.push(`<text class="tick" x="${x(t)}" y="14" font-size="10" text-anchor="middle" fill="#666">${t / 1000}s</text>`);
  }
  for (const sc of scenarios) {
    parts.push(`<text class="scenario" x="4" y="${y + 10}" font-size="12" font-weight="bold">${esc(sc.title)}</text>`);
    y += 16;
    for (const m of methods) {
      const row = result.rows.find((r) => r.scenario === sc.name && r.method === m.name);
      if (!row) continue;
      parts.push(`<text x="16" y="${y + 11}" font-size="11" fill="#333">${esc(m.name)}</text>`);
      if (row.detected && row.detectedAfter !== null) {
        const fill = row.falseDeath ? '#d62728' : (COLOURS[m.name] ?? '#555');
        parts.push(
          `<rect class="bar detected" data-scenario="${sc.name}" data-method="${m.name}" x="${labelW}" y="${y}" width="${Math.max(2, x(row.detectedAfter) - labelW)}" height="${barH}" fill="${fill}"><title>${esc(`${m.title}: ${s(row.detectedAfter)} ${row.code ?? ''} ${row.reason ?? ''}`)}</title></rect>`,
        );
        parts.push(`<text x="${x(row.detectedAfter) + 4}" y="${y + 11}" font-size="10" fill="#333">${esc(`${s(row.detectedAfter)} ${row.code ?? ''}`)}${row.falseDeath ? ' FALSE DEATH' : ''}</text>`);
      } else {
        parts.push(
          `<rect class="bar undetected" data-scenario="${sc.name}" data-method="${m.name}" x="${labelW}" y="${y + 5}" width="${plotW}" height="4" fill="#ddd"/>`,
        );
        const note = sc.transient ? 'no death (correct)' : row.bound === null ? 'cannot detect' : 'MISSED';
        parts.push(`<text x="${labelW + plotW - 4}" y="${y + 11}" font-size="10" text-anchor="end" fill="#999">${note} within ${s(cap)}</text>`);
      }
      if (row.bound !== null) {
        parts.push(`<line class="bound" x1="${x(row.bound)}" x2="${x(row.bound)}" y1="${y - 2}" y2="${y + barH + 2}" stroke="#000" stroke-width="2"><title>bound ${s(row.bound)}</title></line>`);
      }
      y += barH + 4;
    }
    y += groupGap - 4;
  }
  const height = y + 10;
  const svg = `<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 120}" height="${height}" role="img" aria-label="Detection time per method per scenario">${parts.join('').replace(/__H__/g, String(height - 10))}</svg>`;

  const table = [
    '<table><thead><tr><th>scenario</th>',
    ...methods.map((m) => `<th title="${esc(m.title)}">${esc(m.name)}</th>`),
    '</tr></thead><tbody>',
    ...scenarios.map((sc) => {
      const cells = methods.map((m) => {
        const row = result.rows.find((r) => r.scenario === sc.name && r.method === m.name);
        if (!row) return '<td></td>';
        const cell = cellOf(row, result.settings.margin);
        const bound = row.bound === null ? '' : `<br><small>bound ${s(row.bound)}</small>`;
        return `<td class="${cell.colour}">${esc(cell.text)}${bound}</td>`;
      });
      return `<tr><th>${esc(sc.title)}</th>${cells.join('')}</tr>`;
    }),
    '</tbody></table>',
  ].join('');

  const legend = methods.map((m) => `<span class="key"><i style="background:${COLOURS[m.name]}"></i>${esc(m.name)}: ${esc(m.title)}</span>`).join(' ');
  const st = result.settings;
  const skipped = result.skipped.length ? `<p class="warn">Skipped: ${esc(result.skipped.map((k) => `${k.scenario} (${k.why})`).join('; '))}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tcp-keepalive compare</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin-top:16px}th,td{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:left}
td.green{background:#e8f5e9}td.red{background:#fdecea}td.yellow{background:#fff8e1}td.dim{color:#999}
.key{display:inline-block;margin-right:14px;font-size:12px}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
.warn{color:#a15c00}small{color:#666}
</style></head><body>
<h1>Which mechanism notices a dead peer, and how fast?</h1>
<p>Scale <b>${esc(result.scale)}</b>, ${esc(result.mode)} mode, ${esc(result.startedAt)}. Machine: ${esc(result.machine.platform)}, kernel ${esc(result.machine.kernel)}, Node ${esc(result.machine.node)}, ${result.machine.cpus} × ${esc(result.machine.cpuModel)}.</p>
<p>Kernel keep-alive idle ${st.keepAlive.idle} ms, interval ${st.keepAlive.interval} ms, count ${st.keepAlive.count}; user timeout ${esc(String(st.userTimeout))}; Node's setKeepAlive(true, ${st.nodeIdle}); heartbeat idle ${st.heartbeat.idle} ms, interval ${st.heartbeat.interval} ms, count ${st.heartbeat.count}. Bars: time from the fault to the report; black marks: each method's theoretical bound.</p>
<p>${legend}</p>
${svg}
${table}
${skipped}
</body></html>
`;
}
