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

# rustfmt, for the test command's formatting check.
if ! cargo fmt --version >/dev/null 2>&1; then
  log "adding rust component rustfmt"
  rustup component add rustfmt
fi

# A cargo tool at an exact version, built with --locked: the same dependencies on every machine.
# No unlocked fallback: a lock that does not resolve is an error to fix here, not a reason to
# build with whatever is newest that day.
installed() {
  local bin=$1 version=$2
  command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -qw "$version"
}

# wasm-pack must not download anything: it finds wasm-bindgen and wasm-opt on PATH. Its published
# lock resolves as it is.
if ! installed wasm-pack 0.15.1; then
  log "installing wasm-pack 0.15.1"
  cargo install --quiet --locked wasm-pack --version 0.15.1
fi

# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly. Its published lock names
# webpki-roots 1.0.11, which the registry this machine reaches does not have (it stops at 1.0.10),
# so `cargo install --locked wasm-bindgen-cli` fails. It is built instead from its crates.io source
# with the project's own lock, scripts/locks/wasm-bindgen-cli.Cargo.lock: the published one with
# webpki-roots at 1.0.10 (`cargo update -p webpki-roots --precise 1.0.10`), nothing else changed.
# On a wasm-bindgen upgrade, make that lock again from the new version's published one.
wb_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
wb_lock=scripts/locks/wasm-bindgen-cli.Cargo.lock
wb_locked=$(awk '/^name = "wasm-bindgen-cli"$/ {getline; gsub(/"/, "", $3); print $3; exit}' "$wb_lock")
if [ "$wb_locked" != "$wb_version" ]; then
  log "$wb_lock is for wasm-bindgen-cli $wb_locked but Cargo.lock has wasm-bindgen $wb_version"
  exit 1
fi
if ! installed wasm-bindgen "$wb_version"; then
  log "installing wasm-bindgen-cli $wb_version (with $wb_lock)"
  wb_work=$(mktemp -d)
  # cargo downloads the crate (checked against the registry's checksum) for a throwaway package
  # that depends on it; its unpacked source is then built with the project's lock.
  mkdir "$wb_work/fetch"
  printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "lib.rs"\n[dependencies]\nwasm-bindgen-cli = "=%s"\n[workspace]\n' \
    "$wb_version" >"$wb_work/fetch/Cargo.toml"
  : >"$wb_work/fetch/lib.rs"
  wb_manifest=$(cargo metadata --quiet --format-version 1 --manifest-path "$wb_work/fetch/Cargo.toml" \
    | python3 -c 'import json, sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "wasm-bindgen-cli"))')
  cp -R "$(dirname "$wb_manifest")" "$wb_work/wasm-bindgen-cli"
  cp "$wb_lock" "$wb_work/wasm-bindgen-cli/Cargo.lock"
  CARGO_TARGET_DIR="$wb_work/target" cargo install --quiet --locked --force --path "$wb_work/wasm-bindgen-cli"
  rm -rf "$wb_work"
fi

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
# The API fuzzing runs in a network namespace of its own (tests/schemathesis/run.py): unshare
# (util-linux) makes it, ip (iproute2) brings its loopback up.
command -v ip >/dev/null 2>&1 || apt_install iproute2
# PostgreSQL for the server's tests on its second store: scripts/with-postgres.sh runs a
# throwaway cluster with initdb and pg_ctl (Debian keeps them in /usr/lib/postgresql/*/bin).
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  apt_install postgresql
fi
# schemathesis, the API fuzzer `npm test` runs against credport-server (tests/schemathesis/), from
# PyPI into a virtualenv of its own (gitignored). Every package of it is pinned with its hashes in
# tests/schemathesis/requirements.txt (a floating hypothesis generates other inputs), and the
# virtualenv is made anew whenever that lock changes (a copy of the lock it was made from is kept
# in it).
venv=.venv-schemathesis
py_lock=tests/schemathesis/requirements.txt
if ! cmp -s "$py_lock" "$venv/requirements.txt"; then
  python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
  log "installing schemathesis and its dependencies from $py_lock"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$py_lock"
  cp "$py_lock" "$venv/requirements.txt"
fi
log "ready"
