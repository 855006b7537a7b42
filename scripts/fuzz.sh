#!/usr/bin/env bash
# `npm run fuzz`: a long randomized search of credport-server against docs/openapi.yaml
# (tests/schemathesis/run.py --fuzz; FUZZ_ROUNDS, FUZZ_EXAMPLES and SCHEMATHESIS_SEED set it, see
# docs/testing.md). Not part of `npm test` nor CI: what it finds is fixed, then kept as a case of
# tests/schemathesis/regressions.py, which `npm test` sends every time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build -p credport-server
exec .venv-schemathesis/bin/python tests/schemathesis/run.py --fuzz \
  "${CARGO_TARGET_DIR:-$PWD/target}/debug/credport-server"
