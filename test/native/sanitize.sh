#!/usr/bin/env bash
# The native code under sanitizers, three ways:
#  1. the Linux socket code (native/platform_linux.cc) under AddressSanitizer,
#     LeakSanitizer and UndefinedBehaviorSanitizer, 1M rounds of every function
#     (test/native/driver.cc), no Node involved;
#  2. the whole addon (addon.cc too) built with UBSan, float-cast-overflow
#     included (GCC leaves it out of -fsanitize=undefined), loaded by Node and
#     called with socket numbers no descriptor type can hold: every narrowing
#     conversion must be range-checked first;
#  3. the addon under valgrind memcheck through Node: ordinary calls, and an
#     attempt to make it write into memory JavaScript has freed (transferring
#     or detaching any buffer the addon is given or exports).
# Run: npm run test:native   (bash test/native/sanitize.sh [ROUNDS])
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-1000000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== 1. platform_linux.cc under ASan/LSan/UBSan, $rounds rounds"
g++ -std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,leak,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra native/platform_linux.cc test/native/driver.cc -o "$out/driver"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$out/driver" "$rounds"

echo "== 2. the addon under UBSan with float-cast-overflow, called with out-of-range socket numbers"
node_headers=$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")
[ -f "$node_headers/node_api.h" ] || node_headers=/usr/include/node
g++ -std=c++17 -shared -fPIC -O1 -g -fsanitize=undefined,float-cast-overflow -fno-sanitize-recover=all -Wall -Wextra \
  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -I"$node_headers" -I"$PWD/node_modules/node-addon-api" \
  native/addon.cc native/platform_linux.cc -o "$out/ubsan.node"
cat > "$out/narrowing.cjs" <<'JS'
const b = require(process.argv[2]);
const scratch = new Float64Array(new ArrayBuffer(b.contract.scratchLength * 8));
let refused = 0;
for (const bad of [2 ** 31, 2 ** 32 + 3, 2 ** 53 - 1, 1e300, -1, -(2 ** 40), 0.5]) {
  for (const fn of ['apply', 'read', 'socketError', 'tcpInfo', 'pending']) {
    try { b[fn](bad, scratch); } catch (e) { if (e instanceof RangeError) refused++; }
  }
}
console.log(`${refused} of 35 out-of-range calls refused with RangeError, no undefined behaviour`);
process.exit(refused === 35 ? 0 : 1);
JS
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 node "$out/narrowing.cjs" "$out/ubsan.node"

if command -v valgrind >/dev/null; then
  echo "== 3. the addon under valgrind memcheck"
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
    // Reach the addon as any code in the process can, and try to make it
    // write into freed memory: transfer whatever buffer it exports, detach
    // and transfer buffers passed to it, collect them, call again.
    const b = require(require(process.argv[2].replace(/entry.main\.js$/, 'native')).bindingPath());
    for (const v of Object.values(b)) {
      if (ArrayBuffer.isView(v)) structuredClone(v.buffer, { transfer: [v.buffer] });
    }
    const fd = c._handle.fd;
    for (let i = 0; i < 1000; i++) {
      const mine = new Float64Array(64);
      structuredClone(mine.buffer, { transfer: [mine.buffer] });
      for (const fn of ['apply', 'read', 'socketError', 'tcpInfo', 'pending']) { try { b[fn](fd, mine); } catch {} }
    }
    global.gc(); global.gc();
    for (let i = 0; i < 1000; i++) { t.getKeepAlive(c); t.getTcpInfo(c); }
    c.destroy(); server.close();
    console.log('20000 rounds of every function through Node; 5000 calls with detached buffers, then 2000 more after GC');
  });
});
JS
  # V8 scans the machine stack conservatively during a full collection and
  # so reads stack words nobody initialised, by design: that one frame of
  # V8's is suppressed, nothing else (and nothing of ours).
  cat > "$out/v8.supp" <<'SUPP'
{
   v8-conservative-stack-scan
   Memcheck:Cond
   fun:*IteratePointersInStack*
}
SUPP
  valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --suppressions="$out/v8.supp" node --expose-gc "$out/calls.cjs" "$PWD/lib/entry/main.js" 2> "$out/valgrind.txt" || { tail -40 "$out/valgrind.txt"; exit 1; }
  grep -E "ERROR SUMMARY|definitely lost" "$out/valgrind.txt"
  # Only our addon's frames count: V8 and Node keep memory until exit by design.
  if grep -A12 "definitely lost" "$out/valgrind.txt" | grep -q "tcp_keepalive.node"; then
    echo "valgrind: a definite leak in tcp_keepalive.node"; exit 1
  fi
  echo "valgrind: no invalid access, no definite leak in tcp_keepalive.node"
fi
