// The one place tests take the dead-peer lab's harness from (namespaces,
// actors, the runner): the lab layer's entry, as the CLI does.
export {
  Actor,
  TestNetwork,
  clientComparisonBlocker,
  renderClientTable,
  runClientComparison,
  type ClientResult,
  type ClientRow,
  type ClientVariant,
  netnsSupport,
  startChannelPeer,
  startClient,
  startPeer,
  startReconnectingClient,
  type ActorEvent,
  type LabResult,
} from '../../src/lab';
