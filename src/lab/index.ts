/**
 * The dead-peer lab, a product feature (`tcp-keepalive compare`) and the
 * test suite's harness alike: private two-host networks in namespaces
 * (netns), child-process actors that connect, watch, write and report
 * (actor, start, actors/), the scenarios that kill peers and the methods that
 * notice, the runner and its reports. Nothing here is loaded by importing the
 * library: only the CLI and the tests reach it.
 *
 * May import: every layer below (../common, ../native, ../socket, ../death,
 * ../policy, ../heartbeat) and Node.
 * @packageDocumentation
 */
export { Actor, type ActorEvent } from './actor';
export {
  clientComparisonBlocker,
  runClientComparison,
  type ClientProgress,
  type ClientResult,
  type ClientRow,
  type ClientRunOptions,
  type ClientVariant,
} from './clients';
export { DRIVER_NAMES, USE_MODES, type DriverName, type Protection, type UseMode } from './drivers-config';
export type { ChannelPeerConfig } from './actors/channel-peer';
export type { ClientConfig } from './actors/client';
export type { ReconnectingClientConfig } from './actors/reconnecting-client';
export { METHODS, type Method, type MethodName } from './methods';
export { TestNetwork, netnsSupport, removeStaleNamespaces } from './netns';
export { renderClientTable } from './report-clients';
export { renderHtml } from './report-html';
export { renderTable } from './report-text';
export { runComparison, type LabProgress, type LabResult, type LabRow, type RunOptions } from './run';
export { SCENARIOS, type Scenario, type ScenarioName } from './scenarios';
export { SCALES, boundsOf, type Bounds, type LabSettings } from './settings';
export { startChannelPeer, startClient, startPeer, startReconnectingClient } from './start';
