#!/usr/bin/env bash
# Installs everything Actas needs to build, run and test, skipping what is already there.
# Safe to run again and again; the README's two commands both start with it.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Debian packages: a browser for the end-to-end tests, PostgreSQL for the integration tests.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Rust: the browser target, cargo-leptos, and the wasm-bindgen CLI the lock file asks for.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos 0.3.10" ]; then
  # 0.3.11 needs a newer rustc than this machine has; no_downloads: every tool comes from here.
  say "building cargo-leptos 0.3.10 (about 15 minutes, once)"
  cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
fi
bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen" ]; then
  say "building wasm-bindgen-cli $bindgen (about 3 minutes, once)"
  # --locked fails here: a locked dependency is missing from the registry.
  cargo install wasm-bindgen-cli --version "$bindgen"
fi

# --- Node packages: Playwright (driving Debian's chromium, never a downloaded browser) and
# binaryen's wasm-opt for release builds.
if [ ! -f end2end/node_modules/.package-lock.json ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing the end-to-end test packages"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
say "setup complete"
