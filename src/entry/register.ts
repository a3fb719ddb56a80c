/**
 * `node --import tcp-keepalive/register app.js` (or `--require` for
 * CommonJS): protects every TCP connection of the process with the policy in
 * the environment variable TCP_KEEPALIVE, e.g.
 * `TCP_KEEPALIVE='idle=10s,interval=5s,count=3,userTimeout=auto'` — no code
 * change. A missing or malformed value stops the process at start with a
 * message naming the bad part.
 * @packageDocumentation
 */
import { invalidArgValue } from '../common';
import { parsePolicy, POLICY_VARIABLE, protectConnections, type ConnectionProtection } from '../policy';

function register(): ConnectionProtection {
  const value = process.env[POLICY_VARIABLE];
  if (value === undefined || value.trim() === '') {
    throw invalidArgValue(
      POLICY_VARIABLE,
      value,
      'must hold the policy for tcp-keepalive/register, e.g. TCP_KEEPALIVE=idle=10s,interval=5s,count=3,userTimeout=auto',
    );
  }
  return protectConnections(parsePolicy(value));
}

/** The handle of the policy registered from TCP_KEEPALIVE (stats, stop, 'dead' with watch=true). */
export const protection: ConnectionProtection = register();
