#!/usr/bin/env node
// Writes src/native/contract.ts from native/tcp_keepalive.h, the one source
// of the contract between the addon and TypeScript: every enum marked
// `// @contract Name: ...` becomes a constant object (or, for TcpState and
// TcpInfo, the public types and the snapshot builder). The comment after
// each entry is its documentation.
//
// Usage: node scripts/gen-contract.mjs          (write)
//        node scripts/gen-contract.mjs --check  (exit 1 if the file differs)
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const headerPath = path.join(root, 'native', 'tcp_keepalive.h');
const outputPath = path.join(root, 'src', 'native', 'contract.ts');

/** Every enum of the header: its name, the @contract name if marked, and its entries with values and comments. */
function parseEnums(text) {
  const enums = [];
  const values = new Map();
  const re = /((?:\/\/[^\n]*\n)*)enum (\w+) \{([\s\S]*?)\};/g;
  for (let m; (m = re.exec(text)); ) {
    const [, leading, name, body] = m;
    const marker = /\/\/ @contract (\w+):/.exec(leading);
    const entries = [];
    let next = 0;
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      const entry = /^(\w+)(?:\s*=\s*([^,/]+?))?\s*,?\s*(?:\/\/\s*(.*))?$/.exec(line);
      if (!entry || line.startsWith('//')) continue;
      const [, key, expr, comment] = entry;
      const value = expr === undefined ? next : evaluate(expr, values);
      values.set(key, value);
      next = value + 1;
      entries.push({ key, value, comment: comment?.trim() ?? '' });
    }
    enums.push({ name, contract: marker?.[1], entries });
  }
  return { enums, values };
}

/** Evaluates the integer expressions the header uses: numbers, names, +, <<, parentheses. */
function evaluate(expr, values) {
  const tokens = expr.match(/\d+u?|[A-Za-z_]\w*|<<|[+()]/g) ?? [];
  let i = 0;
  const primary = () => {
    const t = tokens[i++];
    if (t === '(') {
      const v = shift();
      if (tokens[i++] !== ')') throw new Error(`gen-contract: missing ) in "${expr}"`);
      return v;
    }
    if (/^\d/.test(t)) return Number.parseInt(t, 10);
    if (values.has(t)) return values.get(t);
    throw new Error(`gen-contract: cannot evaluate "${t}" in "${expr}"`);
  };
  const sum = () => {
    let v = primary();
    while (tokens[i] === '+') {
      i++;
      v += primary();
    }
    return v;
  };
  const shift = () => {
    let v = sum();
    while (tokens[i] === '<<') {
      i++;
      v <<= sum();
    }
    return v;
  };
  const value = shift();
  if (i !== tokens.length) throw new Error(`gen-contract: cannot evaluate "${expr}"`);
  return value;
}

const camel = (s) => s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase());

function constObject(name, prefix, e, doc) {
  const lines = [`/** ${doc} */`, `export const ${name} = {`];
  for (const { key, value, comment } of e.entries) {
    if (!key.startsWith(prefix)) continue; // e.g. TK_SCRATCH_LENGTH, given in CONTRACT
    if (comment) lines.push(`  /** ${comment} */`);
    lines.push(`  ${key.slice(prefix.length)}: ${value},`);
  }
  lines.push('} as const;');
  return lines.join('\n');
}

function generate(text) {
  const { enums, values } = parseEnums(text);
  const byContract = new Map(enums.filter((e) => e.contract).map((e) => [e.contract, e]));
  const need = (n) => {
    const e = byContract.get(n);
    if (!e) throw new Error(`gen-contract: no enum marked @contract ${n}`);
    return e;
  };
  const states = need('TcpState').entries.filter((x) => x.key !== 'TK_STATE_COUNT');
  const fields = need('TcpInfo').entries.filter((x) => x.key !== 'TK_I_COUNT');
  const infoSlot = values.get('TK_SLOT_INFO');
  const presentSlot = values.get('TK_SLOT_PRESENT');
  const out = [];
  out.push(`// Generated from native/tcp_keepalive.h by scripts/gen-contract.mjs: do not edit.
// Change the header, then run \`npm run contract\`; test/contract.test.ts fails
// while this file and the header differ.
/* eslint-disable */`);
  out.push(constObject('Status', 'TK_STATUS_', need('Status'), 'What scratch[Slot.STATUS] says after a call.'));
  out.push(constObject('Field', 'TK_F_', need('Field'), 'Bits of a keep-alive request or read-back mask.'));
  out.push(constObject('Slot', 'TK_SLOT_', need('Slot'), 'Indexes into the scratch.'));
  out.push(`/** TCP states, normalized across OSes, named as in RFC 793 / netstat. */
export const TCP_STATES = [${states.map((s) => `'${s.key.slice('TK_STATE_'.length)}'`).join(', ')}] as const;

/** A TCP state, named as in RFC 793 / netstat. */
export type TcpState = (typeof TCP_STATES)[number];`);
  const timers = need('DiagTimer').entries;
  timers.forEach((t, i) => {
    if (t.value !== i) throw new Error(`gen-contract: DiagTimer ${t.key} is ${t.value}, expected ${i} (the list is indexed by value)`);
  });
  out.push(`/** The timers sock_diag reports for a connection, indexed by the kernel's idiag_timer. */
export const DIAG_TIMERS = [${timers.map((t) => `'${/^([\w-]+):/.exec(t.comment)?.[1]}'`).join(', ')}] as const;

/** A connection's pending timer, as sock_diag reports it. */
export type DiagTimer = (typeof DIAG_TIMERS)[number];`);
  const iface = [
    `/**
 * A normalized snapshot of the kernel's view of a TCP connection, from
 * TCP_INFO (Linux), TCP_CONNECTION_INFO (macOS), SIO_TCP_INFO (Windows). Times
 * are milliseconds unless the name says otherwise (\`Us\`: microseconds); \`Ago\`
 * means before the snapshot. A field the OS does not report is **absent**,
 * never 0.
 */`,
    'export interface TcpInfo {',
  ];
  const doc = (comment) => comment.replace(/^\w+:\s*/, '');
  const tsName = (comment) => /^(\w+):/.exec(comment)?.[1];
  for (const f of fields) {
    const name = tsName(f.comment);
    if (!name) throw new Error(`gen-contract: ${f.key} has no "name:" comment`);
    const d = doc(f.comment);
    iface.push(`  /** ${d.charAt(0).toUpperCase()}${d.slice(1)}. */`);
    iface.push(f.value === 0 ? `  ${name}: TcpState;` : `  ${name}?: number;`);
  }
  iface.push('}');
  out.push(iface.join('\n'));
  const build = [
    `/**
 * The snapshot in the scratch after a tcpInfo call. Named stores in one fixed
 * order: every snapshot with the same fields (fixed per OS and kernel) shares
 * one object shape, and nothing is generated at run time.
 */`,
    'export function tcpInfoFromScratch(s: Float64Array): TcpInfo {',
    `  const p = s[${presentSlot}];`,
    `  const info: TcpInfo = { state: p & 1 ? (TCP_STATES[s[${infoSlot}]] ?? 'UNKNOWN') : 'UNKNOWN' };`,
  ];
  for (const f of fields) {
    if (f.value === 0) continue;
    build.push(`  if (p & ${2 ** f.value}) info.${tsName(f.comment)} = s[${infoSlot + f.value}];`);
  }
  build.push('  return info;', '}');
  out.push(build.join('\n'));
  out.push(`/** What a binary built from this contract reports at load (a stale binary differs). */
export const CONTRACT = { scratchLength: ${values.get('TK_SCRATCH_LENGTH')}, infoFields: ${values.get('TK_I_COUNT')}, states: ${values.get('TK_STATE_COUNT')}, ops: ${values.get('TK_OP_COUNT')} } as const;`);
  return `${out.join('\n\n')}\n`;
}

const generated = generate(readFileSync(headerPath, 'utf8'));
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(outputPath, 'utf8');
  } catch {
    // missing counts as different
  }
  if (current !== generated) {
    console.error(`${path.relative(root, outputPath)} differs from native/tcp_keepalive.h: run \`npm run contract\``);
    process.exit(1);
  }
  console.log(`${path.relative(root, outputPath)} matches native/tcp_keepalive.h`);
} else {
  writeFileSync(outputPath, generated);
  console.log(`wrote ${path.relative(root, outputPath)}`);
}
