#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: initdb and pg_ctl in a temporary directory,
# on a unix socket there and, with TLS only, on a free loopback port (to test TLS to a "remote"
# database), stopped and removed when the command ends, whatever happens. The command sees PGHOST
# (the socket's directory), PGPORT and PGUSER, so that psql, createdb and pg_dump reach the cluster,
# CREDPORT_TEST_PG_CA (the certificate authority that signed the server's certificate, for
# `localhost`), and PATH with PostgreSQL's programs.
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

# A certificate authority and the server's certificate for localhost, made for this run.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=credport test CA" \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$dir/san.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 2 -extfile "$dir/san.ext" -out "$dir/server.crt" >/dev/null 2>&1
chmod 600 "$dir/server.key"
[ "$(id -u)" -ne 0 ] || chown postgres: "$dir/server.key" "$dir/server.crt"

# A free loopback port (nothing answers on it).
port=""
for _ in $(seq 50); do
  candidate=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "with-postgres: no free port" >&2; exit 1; }

# max_connections: each credport-server instance pools up to 16, and the tests run several.
"${as_owner[@]}" env PATH="$PATH" pg_ctl -D "$dir/data" -l "$dir/postgres.log" -w -s \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' \
      -c max_connections=300 -c ssl=on -c ssl_cert_file='$dir/server.crt' \
      -c ssl_key_file='$dir/server.key'" start \
  || { cat "$dir/postgres.log" >&2; exit 1; }

export PGHOST="$dir" PGPORT="$port" PGUSER=postgres CREDPORT_TEST_PG_CA="$dir/ca.crt"
echo "with-postgres: PostgreSQL $(postgres --version | awk '{print $3}') on the unix socket in $dir, TLS on 127.0.0.1:$port" >&2
"$@"
