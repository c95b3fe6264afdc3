#!/usr/bin/env bash
# Compiles the runtime's spawn companion (runtime/oci/spawn-companion.c) into
# dist/bin/skiff-spawn when the source is newer than the binary. Without a C compiler the
# build goes on: the runtime then starts its commands directly (correct, but each start
# costs the kubelet a fork of itself).
set -euo pipefail
cd "$(dirname "$0")/.."
src=runtime/oci/spawn-companion.c
out=dist/bin/skiff-spawn
if [[ -x $out && ! $src -nt $out ]]; then exit 0; fi
if ! command -v cc >/dev/null 2>&1; then
  echo "build: no C compiler (cc); the runtime will start its commands without the spawn companion" >&2
  exit 0
fi
mkdir -p dist/bin
cc -O2 -Wall -Wextra -o "$out.$$.tmp" "$src"
mv "$out.$$.tmp" "$out"
