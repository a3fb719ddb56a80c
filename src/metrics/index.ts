/**
 * Liveness metrics through OpenTelemetry's API: what the watcher, the
 * heartbeat and the process-wide policy report (connections protected and
 * watched, heartbeats running, deaths by reason and mechanism, time from the
 * last received byte to detection, heartbeat RTT, keep-alive overwrites
 * repaired). A no-op unless the application has `@opentelemetry/api` and
 * installs an SDK; nothing here runs on a per-byte or per-sample path.
 *
 * May import: ../common, Node and `@opentelemetry/api` (optional).
 * @packageDocumentation
 */
export { INSTRUMENTS, type InstrumentName } from './instruments';
export { countDeath, observe, recordRtt, refreshMeter } from './meter';
