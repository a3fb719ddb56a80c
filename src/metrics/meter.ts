/**
 * The meter, looked up in OpenTelemetry's global registry. The API has no
 * proxy for meters: one obtained before the application installs its SDK
 * stays a no-op forever. So the provider is looked up again (≈ 25 ns) each
 * time a connection is protected, watched or given a heartbeat, and at each
 * death: instruments are made anew, and the observers registered on them,
 * when the provider changed.
 * @packageDocumentation
 */
import * as path from 'node:path';
import type * as otel from '@opentelemetry/api';
import { INSTRUMENTS, type InstrumentName, type InstrumentSpec } from './instruments';

type Api = typeof otel;
type Report = (value: number, attributes?: otel.Attributes) => void;

// undefined: not looked for yet; null: not installed (then everything here is a no-op).
let api: Api | null | undefined;
let provider: otel.MeterProvider | undefined;
let deaths: otel.Counter | undefined;
let detectionTime: otel.Histogram | undefined;
let rtt: otel.Histogram | undefined;
const observers = new Map<InstrumentName, (report: Report) => void>();

function loadApi(): Api | null {
  if (api === undefined) {
    try {
      // Optional: an application without OpenTelemetry pays nothing for it.
      api = require('@opentelemetry/api') as Api;
    } catch {
      api = null;
    }
  }
  return api;
}

/** The package's version, for the meter's scope (lib/metrics → the package root). */
function version(): string | undefined {
  try {
    return (require(path.join(__dirname, '..', '..', 'package.json')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Makes the instruments anew when the global MeterProvider changed (an SDK
 * installed since the last look). Cheap when it did not.
 */
export function refreshMeter(): void {
  const a = loadApi();
  if (a === null) return;
  const current = a.metrics.getMeterProvider();
  if (current === provider) return;
  provider = current;
  deaths = detectionTime = rtt = undefined;
  // The SDK is the application's: if it throws, metrics stop, nothing else does.
  sdkCall(() => makeInstruments(current));
}

/** Runs a call into the SDK; a failure is warned about once and swallowed. */
function sdkCall(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (warned) return;
    warned = true;
    process.emitWarning(`tcp-keepalive: OpenTelemetry metrics failed and are left out: ${error instanceof Error ? error.message : String(error)}`, {
      code: 'TCP_KEEPALIVE_METRICS',
    });
  }
}
let warned = false;

function makeInstruments(current: otel.MeterProvider): void {
  const meter = current.getMeter('tcp-keepalive', version());
  const spec = (name: InstrumentName): otel.MetricOptions => {
    const s: InstrumentSpec = INSTRUMENTS[name];
    return s.buckets ? { description: s.description, unit: s.unit, advice: { explicitBucketBoundaries: [...s.buckets] } } : { description: s.description, unit: s.unit };
  };
  deaths = meter.createCounter('tcp_keepalive.connection.deaths', spec('tcp_keepalive.connection.deaths'));
  detectionTime = meter.createHistogram('tcp_keepalive.death.detection_time', spec('tcp_keepalive.death.detection_time'));
  rtt = meter.createHistogram('tcp_keepalive.heartbeat.rtt', spec('tcp_keepalive.heartbeat.rtt'));
  for (const [name, read] of observers) addObserver(meter, name, read);
}

function addObserver(meter: otel.Meter, name: InstrumentName, read: (report: Report) => void): void {
  const { kind, description, unit } = INSTRUMENTS[name];
  const instrument =
    kind === 'observableCounter' ? meter.createObservableCounter(name, { description, unit }) : meter.createObservableUpDownCounter(name, { description, unit });
  instrument.addCallback((result) => read((value, attributes) => result.observe(value, attributes)));
}

/**
 * Registers what an observable instrument reports: `read` is called at each
 * collection (never otherwise) and reports the current value(s). One reader
 * per instrument; the layer that owns the count registers it when loaded.
 */
export function observe(name: InstrumentName, read: (report: Report) => void): void {
  observers.set(name, read);
  const current = provider;
  if (current !== undefined) sdkCall(() => addObserver(current.getMeter('tcp-keepalive', version()), name, read));
}

/** A death, counted once by the mechanism that found it; `silenceMs`: since the last byte received, when known. */
export function countDeath(reason: string, detectedBy: string, silenceMs: number | undefined): void {
  refreshMeter();
  const counter = deaths;
  if (counter === undefined) return;
  const attributes = { 'tcp_keepalive.death.reason': reason, 'tcp_keepalive.death.detected_by': detectedBy };
  sdkCall(() => {
    counter.add(1, attributes);
    if (silenceMs !== undefined && Number.isFinite(silenceMs) && silenceMs >= 0) detectionTime?.record(silenceMs / 1000, attributes);
  });
}

/** A heartbeat RTT sample, ms. */
export function recordRtt(ms: number): void {
  const histogram = rtt;
  if (histogram !== undefined) sdkCall(() => histogram.record(ms / 1000));
}
