#!/usr/bin/env bash
# Runs the Linux socket code (native/platform_linux.cc) under AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer with 1M rounds of every
# function (scripts/native-driver.cc), then the whole addon under valgrind
# memcheck through Node for a smaller number of calls.
# Run: bash scripts/native-sanitize.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1000000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

g++ -std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,leak,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra native/platform_linux.cc scripts/native-driver.cc -o "$out/driver"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$out/driver" "$rounds"

if command -v valgrind >/dev/null; then
  cat > "$out/calls.cjs" <<'JS'
const net = require('node:net');
const t = require(process.argv[2]);
const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1', () => {
    for (let i = 0; i < 20000; i++) {
      t.setKeepAlive(c, { idle: 2000 + (i & 1) * 1000, interval: 1000, count: 3, userTimeout: 'auto' });
      t.getKeepAlive(c); t.getSocketError(c); t.getTcpInfo(c);
      try { t.getKeepAlive(99999); } catch {}
    }
    c.destroy(); server.close();
    console.log('20000 rounds of every function through Node');
  });
});
JS
  valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --suppressions=/dev/null node "$out/calls.cjs" "$PWD/lib/index.js" 2> "$out/valgrind.txt" || { tail -40 "$out/valgrind.txt"; exit 1; }
  grep -E "ERROR SUMMARY|definitely lost" "$out/valgrind.txt"
  # Only our addon's frames count: V8 and Node keep memory until exit by design.
  if grep -A12 "definitely lost" "$out/valgrind.txt" | grep -q "tcp_keepalive.node"; then
    echo "valgrind: a definite leak in tcp_keepalive.node"; exit 1
  fi
  echo "valgrind: no invalid access, no definite leak in tcp_keepalive.node"
fi
