#!/usr/bin/env bash
# Sets everything up, then builds and serves Actas on http://127.0.0.1:3000 with an SQLite
# database in data/actas.db. The first run creates the demo accounts and prints their
# passwords (set ACTAS_DEMO_PASSWORD to choose one).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
scripts/build-release.sh
exec target/release/actas
