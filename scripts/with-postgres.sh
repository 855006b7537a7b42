#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: initdb and pg_ctl in a temporary directory,
# listening on a unix socket there only (no TCP port), stopped and removed when the command ends,
# whatever happens. The command sees PGHOST (the socket's directory) and PGUSER, so that psql,
# createdb and pg_dump reach the cluster, and PATH with PostgreSQL's programs.
#
#   bash scripts/with-postgres.sh cargo test -p credport-server
#
# PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user (made by
# Debian's package), which owns the directory.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: bash scripts/with-postgres.sh COMMAND [ARGS...]" >&2
  exit 2
fi

# PostgreSQL's programs: on PATH, or Debian's newest /usr/lib/postgresql/<version>/bin.
if ! command -v initdb >/dev/null 2>&1; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "with-postgres: initdb not found; run scripts/setup.sh (it installs Debian's postgresql)" >&2
    exit 1
  fi
  export PATH="$bindir:$PATH"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/credport-pg.XXXXXX")
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi

stop() {
  "${as_owner[@]}" env PATH="$PATH" pg_ctl -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${as_owner[@]}" env PATH="$PATH" initdb -D "$dir/data" -U postgres --auth=trust \
  --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# max_connections: each credport-server instance pools up to 16, and the tests run several.
"${as_owner[@]}" env PATH="$PATH" pg_ctl -D "$dir/data" -l "$dir/postgres.log" -w -s \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=300" start \
  || { cat "$dir/postgres.log" >&2; exit 1; }

export PGHOST="$dir" PGUSER=postgres
echo "with-postgres: PostgreSQL $(postgres --version | awk '{print $3}') on the unix socket in $dir" >&2
"$@"
