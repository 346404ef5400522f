#!/usr/bin/env bash
# Sets everything up, then runs every test: formatting and lints, unit tests, integration tests
# over HTTP on a real SQLite file and a real PostgreSQL server, and Playwright end-to-end in
# headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

say() { printf '\n==> %s\n' "$*"; }

# A fresh clone builds once: incremental data would only fill the disk (CI runs with no
# terminal, and has run out of disk with it).
if [ -n "${CI:-}" ] || [ ! -t 1 ]; then export CARGO_INCREMENTAL=0; fi

say "formatting and lints"
cargo fmt --all --check
cargo clippy -p app -p server --all-targets --features app/ssr -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

pg_dir=$(mktemp -d /tmp/actas-pg.XXXXXX)
trap 'scripts/postgres.sh stop "$pg_dir"' EXIT
say "starting a throwaway PostgreSQL"
ACTAS_TEST_POSTGRES_URL=$(scripts/postgres.sh start "$pg_dir")
export ACTAS_TEST_POSTGRES_URL

say "unit and integration tests (SQLite and PostgreSQL)"
cargo test -p app --features ssr
cargo test -p server

say "end-to-end tests in headless Chromium"
cargo leptos build
(cd end2end && npx playwright test)
