/**
 * The process-wide policy: one keep-alive policy for every TCP connection
 * the process makes or accepts, drivers and fetch included, found through
 * Node's diagnostics_channel hooks (and, only when asked, a wrapper of
 * net.Socket.prototype.connect for what older Nodes do not publish); the
 * same policy read from an environment variable for
 * `--import tcp-keepalive/register`; a socket factory for clients that take
 * one. It never destroys or changes a socket it could not protect.
 *
 * May import: ../common, ../metrics, ../socket, ../death and Node.
 * @packageDocumentation
 */
export { parsePolicy, POLICY_VARIABLE, resolvePolicy, type ProtectionPolicy } from './policy';
export {
  ConnectionProtection,
  protectConnections,
  socketFactory,
  type ProtectedDeath,
  type ProtectionEvents,
  type ProtectionStats,
  type ProtectOptions,
  type SkippedCounts,
} from './protect';
