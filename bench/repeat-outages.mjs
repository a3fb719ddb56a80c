// Repeated 1 s outages under a steady echoed stream, between two network
// namespaces (root needed), reporting per outage how long the backlog took
// to come back and the client's TCP state, and stopping at the first death.
//
//   node bench/repeat-outages.mjs [--fault link|remote] [--user-timeout ms|auto|none] [--outages 20]
//
// --fault link: the veth link goes down (the client loses its route, its
// retransmissions fail locally); remote: the peer host's address is removed
// (packets are lost past the client's link). Keep-alive idle 2 s / interval
// 1 s / count 3, heartbeat 4.5 s bound, watcher every 250 ms.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { TestNetwork, startChannelPeer, startClient } = require('../lib/lab/index.js');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const fault = arg('fault', 'link');
const ut = arg('user-timeout', 'none');
const outages = Number(arg('outages', '20'));
const keepAlive = { idle: 2000, interval: 1000, count: 3, ...(ut === 'none' ? {} : { userTimeout: ut === 'auto' ? 'auto' : Number(ut) }) };
const heartbeat = { idle: 1500, interval: 1000, count: 3, jitter: 0.1 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const count = (actor, type) => actor.events.filter((e) => e.type === type).length;
const ask = (actor, cmd) => actor.ask(cmd);

const network = TestNetwork.create();
const actors = [];
try {
  const peer = await startChannelPeer(network, { echo: true });
  actors.push(peer.actor);
  const client = await startClient(network, { port: peer.port, keepAlive, heartbeat, watchSampleInterval: 250 });
  actors.push(client);
  console.log(`fault ${fault}, keep-alive ${JSON.stringify(keepAlive)}, heartbeat ${JSON.stringify(heartbeat)}`);
  client.send({ cmd: 'write-every', ms: 20, bytes: 1000 });
  for (let i = 1; i <= outages; i++) {
    await sleep(300);
    const cutAt = Date.now();
    if (fault === 'remote') await network.dropAtPeerFor(1000);
    else await network.cutPathFor(1000);
    const restoredAt = Date.now();
    const atRestore = await ask(client, 'totals');
    let now = atRestore;
    while (now.echoed < atRestore.written && Date.now() - restoredAt < 5000 && count(client, 'dead') === 0) {
      await sleep(20);
      now = await ask(client, 'totals');
    }
    const info = (await ask(client, 'info')).info;
    const dead = client.events.find((e) => e.type === 'dead');
    if (dead) {
      const r = dead.report;
      console.log(`outage ${i}: DEAD ${r.reason} (${r.code}) ${dead.at - cutAt} ms after this outage began; last ACK ${dead.lastAckAt ? dead.at - dead.lastAckAt : '?'} ms before`);
      break;
    }
    console.log(`outage ${i}: backlog back ${Date.now() - restoredAt} ms after the restore; rto ${info?.rtoUs / 1000} ms, backoff ${info?.backoff}, retransmits so far ${info?.totalRetransmits}`);
  }
} finally {
  await Promise.all(actors.map((a) => a.stop()));
  network.destroy();
}
