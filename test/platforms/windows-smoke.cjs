// Run by test/platforms/windows-check.sh with node.exe under Wine: exercises the
// Windows native path of the addon on a real loopback connection and prints
// one JSON document with what each call returned or threw.
const net = require('node:net');
const path = require('node:path');
const lib = require(path.join(__dirname, '..', '..', 'lib', 'entry', 'main.js'));
const { bindingPath } = require(path.join(__dirname, '..', '..', 'lib', 'native'));

const outcome = (fn) => {
  try {
    return { ok: fn() };
  } catch (e) {
    return { error: { code: e.code, message: e.message, syscall: e.syscall, errno: e.errno, osError: e.osError } };
  }
};

const connect = (port) => new Promise((resolve) => { const c = net.connect(port, '127.0.0.1', () => resolve(c)); });

const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  const client = await connect(port);
  // Fresh sockets for the calls that must change nothing: keep-alive still off afterwards.
  const [onlyIdleSocket, countSocket, userTimeoutSocket] = await Promise.all([connect(port), connect(port), connect(port)]);
  {
    const result = {
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
      binding: bindingPath(),
      localPort: client.localPort,
      set: outcome(() => lib.setKeepAlive(client, { idle: 5000, interval: 2000 })),
      get: outcome(() => lib.getKeepAlive(client)),
      countTen: outcome(() => lib.setKeepAlive(client, { idle: 6000, interval: 3000, count: 10 })),
      countFive: outcome(() => lib.setKeepAlive(client, { count: 5 })),
      userTimeout: outcome(() => lib.setKeepAlive(client, { userTimeout: 20000 })),
      socketError: outcome(() => lib.getSocketError(client)),
      tcpInfo: outcome(() => lib.getTcpInfo(client)),
      rawFd: outcome(() => lib.getKeepAlive(3)),
      badRange: outcome(() => lib.setKeepAlive(client, { count: 256 })),
      // SIO_KEEPALIVE_VALS sets both times at once: one alone cannot be honoured.
      onlyIdle: outcome(() => lib.setKeepAlive(onlyIdleSocket, { idle: 5000 })),
      onlyIdleAfter: outcome(() => lib.getKeepAlive(onlyIdleSocket)),
      // An unsupported count or user timeout is refused before anything is applied.
      countRefused: outcome(() => lib.setKeepAlive(countSocket, { idle: 5000, interval: 2000, count: 5 })),
      countRefusedAfter: outcome(() => lib.getKeepAlive(countSocket)),
      userTimeoutRefused: outcome(() => lib.setKeepAlive(userTimeoutSocket, { idle: 5000, interval: 2000, userTimeout: 20000 })),
      userTimeoutRefusedAfter: outcome(() => lib.getKeepAlive(userTimeoutSocket)),
    };
    // Without SIO_TCP_INFO the watchers cannot sample: said once for the process, not per watcher.
    const warnings = [];
    process.on('warning', (w) => warnings.push(w.code));
    lib.watch(client, { sampleInterval: 20 });
    lib.watch(onlyIdleSocket, { sampleInterval: 20 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    result.samplingWarnings = warnings;
    // The SOCKET is found once per net.Socket, not by walking every handle at every call.
    process.stderr.write('tka-lookup-start\n');
    for (let i = 0; i < 100; i++) lib.getKeepAlive(client);
    process.stderr.write('tka-lookup-end\n');
    // Hold the connection so the Linux side can look at it (ss) before exit.
    setTimeout(() => {
      process.stdout.write(JSON.stringify(result, null, 2));
      for (const c of [client, onlyIdleSocket, countSocket, userTimeoutSocket]) c.destroy();
      server.close();
    }, 1500);
  }
});
