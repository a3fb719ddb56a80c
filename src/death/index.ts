/**
 * Death: why a connection died and who noticed. classifyDeath maps the
 * errors the OS and Node report to typed reasons (ETIMEDOUT split by a
 * TCP_INFO snapshot); watch() reports one death per connection, exactly
 * once, from the socket's events or from the shared sampler for sockets
 * Node no longer polls, and lets a detector of the application's (the
 * heartbeat) declare its own deaths through a generic hook: this layer knows
 * nothing of any detector.
 *
 * May import: ../common, ../metrics, ../native, ../socket and Node.
 * @packageDocumentation
 */
export { classifyDeath, type Classification, type DeathContext, type DeathReason, type DetectedBy } from './classify';
export { sampledCount } from './sampler';
export {
  validateWatchOptions,
  watch,
  Watcher,
  type DeathReport,
  type DeclaredDeath,
  type ResolvedWatchOptions,
  type WatchOptions,
  type WatcherEvents,
} from './watcher';
