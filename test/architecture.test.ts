// The tree is the architecture: src/ holds one folder per layer, bottom to
// top, and a file imports only its own folder or a lower layer, through that
// layer's entry (its index.ts, whose header says what the layer is for and
// what it may import). The public entries reach the layers up to the
// heartbeat, never the lab or the CLI, so importing the library loads
// neither and installs no process hooks.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'src');

/** The layers, bottom to top; 'entry' holds the package's public entry points. */
const LAYERS = ['common', 'metrics', 'native', 'socket', 'death', 'policy', 'heartbeat', 'lab', 'cli', 'entry'] as const;
const ENTRY_MAY_NOT_REACH = new Set(['lab', 'cli']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : name.endsWith('.ts') ? [p] : [];
  });
}

const layerOf = (file: string): string => path.relative(src, file).split(path.sep)[0] as string;

/** Every relative module a file names: import/export ... from, import(), require(). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const re of [/\bfrom\s+'(\.[^']*)'/g, /\bimport\s*\(\s*'(\.[^']*)'\s*\)/g, /\brequire\s*\(\s*'(\.[^']*)'\s*\)/g, /^import\s+'(\.[^']*)'/gm]) {
    for (const m of text.matchAll(re)) found.add(m[1] as string);
  }
  return [...found];
}

/** The file a relative specifier names (a folder means its index.ts). */
function resolve(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  if (existsSync(`${base}.ts`)) return `${base}.ts`;
  if (existsSync(path.join(base, 'index.ts'))) return path.join(base, 'index.ts');
  throw new Error(`${path.relative(root, from)}: cannot resolve '${spec}'`);
}

/** What is wrong with `file` importing `target`, or undefined. */
function violation(file: string, target: string): string | undefined {
  const from = layerOf(file);
  const to = layerOf(target);
  if (to === from) return undefined;
  const where = `${path.relative(src, file)} -> ${path.relative(src, target)}`;
  if (LAYERS.indexOf(to as (typeof LAYERS)[number]) > LAYERS.indexOf(from as (typeof LAYERS)[number])) {
    return `${where}: ${from} may not import ${to} (a higher layer)`;
  }
  if (from === 'entry' && ENTRY_MAY_NOT_REACH.has(to)) return `${where}: the public entries may not load ${to}`;
  if (target !== path.join(src, to, 'index.ts')) return `${where}: another layer is reached through its entry (src/${to}/index.ts)`;
  return undefined;
}

describe('the layers', () => {
  const files = sourceFiles(src);

  it('every folder of src/ is a known layer, and every file lives in one', () => {
    for (const f of files) expect(LAYERS as readonly string[]).toContain(layerOf(f));
  });

  it('a file imports only its own layer, or a lower layer through its entry; the public entries never reach the lab or the CLI', () => {
    const violations = files.flatMap((file) => specifiers(file).map((spec) => violation(file, resolve(file, spec))));
    expect(violations.filter(Boolean)).toEqual([]);
  });

  it("each layer's entry says what the layer is for and what it may import", () => {
    for (const layer of LAYERS) {
      const dir = path.join(src, layer);
      if (!existsSync(dir)) continue;
      const entry = ['index.ts', 'main.ts'].map((n) => path.join(dir, n)).find(existsSync);
      expect(entry, `src/${layer} has no entry file`).toBeDefined();
      const header = /^(?:#![^\n]*\n)?\/\*\*([\s\S]*?)\*\//.exec(readFileSync(entry as string, 'utf8'))?.[1] ?? '';
      if (layer !== 'entry') expect(header, `src/${layer}: the header says what it may import`).toMatch(/May import:/);
      expect(header.length, `src/${layer}: a paragraph about the layer`).toBeGreaterThan(200);
    }
  });

  it('the rule finds each kind of violation', () => {
    const at = (...p: string[]): string => path.join(src, ...p);
    expect(violation(at('death', 'watcher.ts'), at('heartbeat', 'index.ts'))).toMatch(/higher layer/);
    expect(violation(at('entry', 'main.ts'), at('lab', 'index.ts'))).toMatch(/may not load lab/);
    expect(violation(at('socket', 'keepalive.ts'), at('native', 'binary.ts'))).toMatch(/through its entry/);
    expect(violation(at('socket', 'keepalive.ts'), at('native', 'index.ts'))).toBeUndefined();
    expect(violation(at('lab', 'actors', 'client.ts'), at('lab', 'actors', 'emit.ts'))).toBeUndefined();
  });
});

describe('importing the library', () => {
  it('loads no lab or CLI code, installs no process hooks and starts nothing', () => {
    const script = `
      const before = { sigint: process.listenerCount('SIGINT'), sigterm: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') };
      for (const e of ['main', 'heartbeat', 'protocol']) require(${JSON.stringify(path.join(root, 'lib', 'entry'))} + '/' + e + '.js');
      const loaded = Object.keys(require.cache).map((f) => f.slice(${JSON.stringify(root.length + 1)}));
      console.log(JSON.stringify({
        loaded: loaded.filter((f) => /^lib\\/(lab|cli)\\//.test(f)),
        hooks: { sigint: process.listenerCount('SIGINT') - before.sigint, sigterm: process.listenerCount('SIGTERM') - before.sigterm, exit: process.listenerCount('exit') - before.exit },
        handles: process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap'),
      }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(out).toEqual({ loaded: [], hooks: { sigint: 0, sigterm: 0, exit: 0 }, handles: [] });
  });
});
