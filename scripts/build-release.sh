#!/usr/bin/env bash
# The release build, the one way scripts/run.sh, scripts/first-page.sh and the README make it:
# - wasm-opt from tools/node_modules (scripts/setup.sh run installs it);
# - no `--cfg erase_components`: with islands the wasm is smaller without it (measured by
#   scripts/wasm-size.sh), and the server and the browser render the same markup as in debug
#   builds and `cargo test`;
# - `--precompress`: brotli and gzip files beside every browser file; the gzip ones are then
#   made again with `gzip -9` (cargo-leptos' own are a fifth larger), for browsers without
#   brotli.
# Extra arguments go to cargo leptos.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$PATH"
cargo leptos build --release --precompress "$@"
find "${LEPTOS_SITE_ROOT:-target/site}" -name '*.gz' -print0 |
  while IFS= read -r -d '' gz; do gzip -9 -n -c "${gz%.gz}" >"$gz"; done
