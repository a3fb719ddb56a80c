#!/usr/bin/env bash
# The Windows path, as far as this Linux machine can check it: builds the
# win32-x64 prebuild (scripts/prebuild-win32.sh), loads it in a Windows
# node.exe under Wine (installed from Debian when missing), runs
# windows-smoke.cjs there, and checks from the Linux side (strace) that the
# keep-alive values reached the socket (windows-verify.mjs).
# Run: npm run test:win32
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
work=${TKA_WIN_WORK:-$HOME/.cache/tcp-keepalive/windows}
bash scripts/prebuild-win32.sh

need=()
command -v wine >/dev/null || need+=(wine64 wine)
command -v strace >/dev/null || need+=(strace)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
node_exe="$work/node-win/bin/node.exe"

# A Wine prefix of our own, reporting Windows 10 (Node refuses Windows 7).
export WINEPREFIX="$work/wineprefix" WINEDEBUG=-all WINEARCH=win64
if [ ! -f "$WINEPREFIX/.tka-ready" ]; then
  wineboot -i >/dev/null 2>&1 || true
  wine reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win10 /f >/dev/null 2>&1
  touch "$WINEPREFIX/.tka-ready"
fi

# node.exe under Wine crashes when stdout/stderr are pipes: use files.
# PREBUILDS_ONLY: the Linux build/ must not be picked instead of the prebuild.
out="$work/smoke.json" err="$work/smoke.err" trace="$work/strace.txt"
rm -f "$out" "$err" "$trace"
PREBUILDS_ONLY=1 timeout 120 strace -f -qq -e trace=setsockopt,getpeername,write -o "$trace" wine "$node_exe" "$(winepath -w "$here/windows-smoke.cjs" 2>/dev/null)" >"$out" 2>"$err" || {
  echo "node.exe under Wine failed:"; cat "$err"; exit 1; }
node "$here/windows-verify.mjs" "$out" "$trace"
