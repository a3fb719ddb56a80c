// Toolchains for the prebuilds and their checks: Debian packages installed
// with apt when a command is missing, and pinned npm packages unpacked once
// under ~/.cache/tcp-keepalive/toolchains.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const cache = path.join(os.homedir(), '.cache', 'tcp-keepalive', 'toolchains');

/** Runs a command, its output shown, bounded to 15 minutes. */
export function sh(command, args, options = {}) {
  execFileSync(command, args, { stdio: 'inherit', timeout: 900_000, ...options });
}

export function has(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs Debian package `pkg` unless `present()` (default: `command` on
 * PATH). A package of another architecture (name:arm64) adds that
 * architecture to dpkg first.
 */
export function apt(command, pkg, present = () => has(command)) {
  if (present()) return;
  const foreign = pkg.split(':')[1];
  if (foreign && !execFileSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8' }).split('\n').includes(foreign)) {
    sh('dpkg', ['--add-architecture', foreign]);
  }
  sh('apt-get', ['update', '-qq']);
  sh('apt-get', ['install', '-y', '-qq', pkg], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** The folder of npm package `spec` (name@version, pinned), downloaded and unpacked once. */
export function npmTool(spec) {
  const dir = path.join(cache, spec.replace(/[@/]/g, '_'));
  if (existsSync(path.join(dir, 'package.json'))) return dir;
  mkdirSync(dir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], { cwd: dir, encoding: 'utf8', timeout: 600_000 }).trim().split('\n').pop();
  sh('tar', ['-xzf', path.join(dir, tgz), '-C', dir, '--strip-components=1']);
  rmSync(path.join(dir, tgz));
  return dir;
}
