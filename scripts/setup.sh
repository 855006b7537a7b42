#!/usr/bin/env bash
# Installs everything the build and the tests need, from the registries this machine reaches
# (crates.io, npm, PyPI, Debian). Idempotent: each step checks first, so a second run takes
# seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# The wasm target for the SDK crate.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# cargo install, falling back to an unlocked install when the registry copy lags behind a lockfile.
cargo_install() {
  local crate=$1 version=$2 bin=$3
  if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -q "$version"; then
    return
  fi
  log "installing $crate $version"
  cargo install --quiet --locked "$crate" --version "$version" \
    || cargo install --quiet "$crate" --version "$version"
}

# wasm-pack must not download anything: it finds wasm-bindgen and wasm-opt on PATH.
cargo_install wasm-pack 0.15.1 wasm-pack
# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
wb_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
cargo_install wasm-bindgen-cli "$wb_version" wasm-bindgen

# JS tooling from package-lock.json: binaryen's wasm-opt, TypeScript, and the packaging tests'
# runtimes and tools (deno, bun, wrangler/workerd, playwright-core, esbuild, vite, attw, publint),
# axe-core for the console's accessibility checks.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dev dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
# Debian packages, installed only when missing (apt-get update once, before the first).
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
apt_updated=""
apt_install() {
  log "installing $*"
  [ -n "$apt_updated" ] || { $sudo apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
# Chromium for the browser tests (playwright-core drives it; it never downloads one).
[ -x /usr/bin/chromium ] || apt_install chromium
# PostgreSQL for the server's tests on its second store: scripts/with-postgres.sh runs a
# throwaway cluster with initdb and pg_ctl (Debian keeps them in /usr/lib/postgresql/*/bin).
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  apt_install postgresql
fi
# schemathesis, the API fuzzer `npm test` runs against credport-server (tests/schemathesis/), from
# PyPI into a virtualenv of its own (gitignored), at a pinned version.
schemathesis_version=4.32.5
venv=.venv-schemathesis
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $schemathesis_version"; then
  python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
  log "installing schemathesis $schemathesis_version"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
log "ready"
