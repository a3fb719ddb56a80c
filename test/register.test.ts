// Zero code change: `node --import tcp-keepalive/register` (and `--require`)
// protects the process's connections with the policy in TCP_KEEPALIVE; a
// missing or malformed value stops the process at start, naming the bad part.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parsePolicy } from '../src/policy';

const root = path.resolve(__dirname, '..');

// An application that knows nothing of the library: it connects and prints what the kernel holds.
const app = `
  const net = require('node:net');
  const { getKeepAlive } = require('tcp-keepalive');
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const c = net.connect(server.address().port, '127.0.0.1', () => {
      const { protection } = require('tcp-keepalive/register');
      console.log(JSON.stringify({ settings: getKeepAlive(c), stats: protection.stats }));
      c.destroy(); server.close();
    });
  });`;

function run(flag: '--import' | '--require', value: string | undefined) {
  const env = { ...process.env };
  delete env.TCP_KEEPALIVE;
  if (value !== undefined) env.TCP_KEEPALIVE = value;
  return spawnSync(process.execPath, [flag, 'tcp-keepalive/register', '-e', app], { cwd: root, env, encoding: 'utf8', timeout: 20_000 });
}

describe.runIf(process.platform === 'linux')('tcp-keepalive/register', () => {
  it.each(['--import', '--require'] as const)('%s: every connection gets the policy from TCP_KEEPALIVE; nothing keeps the process alive', (flag) => {
    const r = run(flag, 'idle=10s,interval=5s,count=3,userTimeout=auto,watch=true');
    expect(r.error).toBeUndefined(); // exited by itself, within the bound
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({
      settings: { enabled: true, idle: 10_000, interval: 5000, count: 3, userTimeout: 25_000 },
      stats: { protected: 2 },
    });
  });

  it.each([
    ['idle=10x', /"idle=10x": "10x" is not a duration/],
    ['idle=10s,count=three', /"count=three": "three" is not a whole number/],
    ['idle=10s,speed=1', /"speed=1": "speed" is not a policy option/],
    ['idle', /"idle": not key=value/],
    ['count=0', /ERR_OUT_OF_RANGE|out of range/],
  ])('TCP_KEEPALIVE=%s stops the process at start, naming the bad part', (value, message) => {
    for (const flag of ['--import', '--require'] as const) {
      const r = run(flag, value);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
  });

  it('without TCP_KEEPALIVE the process stops and says what to set', () => {
    const r = run('--import', undefined);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/TCP_KEEPALIVE=idle=10s/);
  });
});

describe('the policy in an environment variable', () => {
  it('reads times in ms, s and m, counts, booleans and auto', () => {
    expect(parsePolicy('idle=1.5s, interval=500, count=3, userTimeout=auto, persist=false, watch=true')).toEqual({
      idle: 1500,
      interval: 500,
      count: 3,
      userTimeout: 'auto',
      persist: false,
      watch: true,
    });
    expect(parsePolicy('idle=2m,userTimeout=45s')).toEqual({ idle: 120_000, userTimeout: 45_000 });
    expect(() => parsePolicy('idle=1s,idle=2s')).toThrow(/idle is given twice/);
    expect(() => parsePolicy('constructor=1')).toThrow(/not a policy option/);
  });
});
