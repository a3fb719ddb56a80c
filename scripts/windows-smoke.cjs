// Run by scripts/windows-check.sh with node.exe under Wine: exercises the
// Windows native path of the addon on a real loopback connection and prints
// one JSON document with what each call returned or threw.
const net = require('node:net');
const path = require('node:path');
const lib = require(path.join(__dirname, '..', 'lib', 'index.js'));

const outcome = (fn) => {
  try {
    return { ok: fn() };
  } catch (e) {
    return { error: { code: e.code, message: e.message, syscall: e.syscall, errno: e.errno, osError: e.osError } };
  }
};

const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    const result = {
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
      binding: lib.bindingPath(),
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
    };
    // Hold the connection so the Linux side can look at it (ss) before exit.
    setTimeout(() => {
      process.stdout.write(JSON.stringify(result, null, 2));
      client.destroy();
      server.close();
    }, 1500);
  });
});
