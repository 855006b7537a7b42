#!/usr/bin/env bash
# Everything the project tests, from a fresh clone: set-up, Rust tests (model, server on SQLite
# and on PostgreSQL, SDK), the API document linted and fuzzed against the real server, the npm
# package built and packed, and the JS tests against the real server.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Module layers: no import circle, no import from a lower layer to a higher one"
node scripts/check-layers.mjs

bash scripts/setup.sh

# The package first: the console (built on it, into console/dist/) is embedded in credport-server
# when it compiles, so every server below (Rust tests, fuzzing, JS tests) serves it.
echo "== npm package and console"
node scripts/build.mjs

# The server binary the API document's fuzzing and the JS tests run (cargo's target folder may be
# set elsewhere with CARGO_TARGET_DIR).
export CREDPORT_SERVER_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/credport-server"

echo "== Rust: model, and server on SQLite"
cargo test -p credport-model
cargo test -p credport-server
cargo build -p credport-server

echo "== Rust: server on PostgreSQL (a throwaway cluster, stopped whatever happens)"
CREDPORT_TEST_STORE=postgres bash scripts/with-postgres.sh cargo test -p credport-server

echo "== API document: redocly lint, then schemathesis against a running credport-server (~2 min)"
npx --no-install redocly lint docs/openapi.yaml
.venv-schemathesis/bin/python tests/schemathesis/run.py "$CREDPORT_SERVER_BIN"

echo "== Rust: SDK unit tests (native)"
cargo test -p credport --lib

echo "== npm package: packed and installed in a fresh project"
project=$(mktemp -d)
trap 'rm -rf "$project"' EXIT
node -e "import('./tests/js/harness.mjs').then((h) => h.installPackage(process.argv[1]))" "$project"

echo "== JS tests (node:test) against credport-server"
CREDPORT_TEST_PROJECT="$project" node --test --test-concurrency=1 tests/js/
# The 413 of an oversized body through Node's fetch, on PostgreSQL too.
bash scripts/with-postgres.sh node --test tests/js/oversized-body.test.mjs

echo "== Console in Chromium (axe-core, no page error, console error or CSP violation)"
node --test --test-concurrency=1 tests/console/

echo "== Packaging: the tarball in Node, TypeScript, Deno, Bun, workerd, Chromium, esbuild and Vite"
node tests/packaging/run.mjs
