// The contract between the addon and TypeScript has one source,
// native/tcp_keepalive.h: src/native/contract.ts is generated from it and
// must not drift, and the binary in use was built from the same header.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binding } from '../src/native';
import { CONTRACT } from '../src/native/contract';

const root = path.resolve(__dirname, '..');

describe('the contract', () => {
  it('src/native/contract.ts is what the header generates', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'gen-contract.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a change to the header is caught: the check fails until the contract is regenerated', () => {
    // A copy of the repository layout the script needs, with one field added to the header.
    const work = mkdtempSync(path.join(os.tmpdir(), 'tk-contract-'));
    for (const dir of ['scripts', 'native', 'src/native']) mkdirSync(path.join(work, dir), { recursive: true });
    copyFileSync(path.join(root, 'scripts', 'gen-contract.mjs'), path.join(work, 'scripts', 'gen-contract.mjs'));
    copyFileSync(path.join(root, 'src', 'native', 'contract.ts'), path.join(work, 'src', 'native', 'contract.ts'));
    const header = readFileSync(path.join(root, 'native', 'tcp_keepalive.h'), 'utf8');
    const changed = header.replace('  TK_I_COUNT\n};', '  TK_I_EXTRA,                // extra: a field added to the header\n  TK_I_COUNT\n};');
    expect(changed).not.toBe(header);
    writeFileSync(path.join(work, 'native', 'tcp_keepalive.h'), changed);
    const script = path.join(work, 'scripts', 'gen-contract.mjs');
    expect(spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' }).status).toBe(1);
    execFileSync(process.execPath, [script]);
    expect(readFileSync(path.join(work, 'src', 'native', 'contract.ts'), 'utf8')).toMatch(/extra\?: number;/);
    expect(spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' }).status).toBe(0);
  });

  it('the binary in use was built from the same header', () => {
    expect(binding().contract).toEqual(CONTRACT);
  });

  it("the binary states this OS's options and ranges (nothing in TypeScript repeats them)", () => {
    const limits = binding().limits;
    expect(limits.name).toEqual(expect.any(String));
    if (process.platform === 'linux') {
      expect(limits).toEqual({
        name: 'Linux',
        idle: { min: 1, max: 32_767_000 },
        interval: { min: 1, max: 32_767_000 },
        count: { min: 1, max: 127 },
        userTimeout: { min: 0, max: 2 ** 31 - 1 },
        userTimeoutInSeconds: false,
      });
    }
  });
});
