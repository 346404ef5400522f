#!/usr/bin/env bash
# The browser's wasm built two ways, `--cfg erase_components` on and off, each as the release
# build makes it (the wasm-release profile, wasm-bindgen, wasm-opt -Oz), and its bytes printed:
# raw, gzip -9 and brotli. Keeps what it builds in target/wasm-size/. Prints figures, asserts
# nothing; with --twiggy, also `twiggy top` of the smaller.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run >/dev/null
export PATH="$PWD/tools/node_modules/.bin:$PATH"
if ! command -v brotli >/dev/null 2>&1; then
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq brotli >/dev/null
fi
out=target/wasm-size
mkdir -p "$out"
printf '| erase_components | raw | gzip -9 | brotli |\n|---|---|---|---|\n'
for erase in on off; do
  flags=""
  [ "$erase" = on ] && flags="--cfg erase_components"
  # Each its own target folder: the flags would otherwise rebuild every crate for the other.
  CARGO_TARGET_DIR="$out/target-$erase" RUSTFLAGS="$flags" \
    cargo build -q -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
  wasm-bindgen --target web --no-typescript --out-dir "$out/$erase" --out-name actas \
    "$out/target-$erase/wasm32-unknown-unknown/wasm-release/frontend.wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$out/$erase/actas_bg.wasm" -o "$out/$erase/actas.wasm"
  python3 - "$erase" "$out/$erase/actas.wasm" <<'PY'
import os, subprocess, sys
erase, path = sys.argv[1], sys.argv[2]
raw = os.path.getsize(path)
gz = len(subprocess.run(["gzip", "-9", "-c", path], capture_output=True, check=True).stdout)
br = len(subprocess.run(["brotli", "-c", "-q", "11", path], capture_output=True, check=True).stdout)
print(f"| {erase} | {raw:,} | {gz:,} | {br:,} |")
PY
done
if [ "${1:-}" = --twiggy ]; then
  command -v twiggy >/dev/null 2>&1 || cargo install -q twiggy --version 0.8.0
  smaller=$(for erase in on off; do echo "$(stat -c %s "$out/$erase/actas.wasm") $erase"; done | sort -n | head -1 | cut -d' ' -f2)
  echo
  echo "twiggy top of the smaller ($smaller), before wasm-opt (names kept):"
  twiggy top -n 25 "$out/$smaller/actas_bg.wasm"
fi
