"""Fuzzes credport-server against docs/openapi.yaml with schemathesis (examples, coverage and
fuzzing phases, every check), on a real server with a fresh database: a site with connections
and API keys, a personal access token for the site routes and the admin token for the admin
routes. Exits non-zero on any failure. Run by `npm test` (scripts/test.sh) after the server is
built; the time budget is SCHEMATHESIS_SECONDS (default 110).

Usage: python tests/schemathesis/run.py path/to/credport-server
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def start(binary, directory):
    """The server on a free loopback port; returns the process, its URL and its admin token."""
    admin_token = "admin_" + secrets.token_hex(24)
    env = {
        **os.environ,
        "CREDPORT_LISTEN": "127.0.0.1:0",
        "CREDPORT_DATABASE": str(Path(directory) / "credport.db"),
        "CREDPORT_ADMIN_TOKEN": admin_token,
        "CREDPORT_ENCRYPTION_KEY": secrets.token_hex(32),
        "CREDPORT_LOG": "warn",
    }
    server = subprocess.Popen(
        [binary], env=env, stdout=subprocess.PIPE, stderr=sys.stderr, text=True
    )
    line = server.stdout.readline()
    prefix = "credport-server listening on "
    if not line.startswith(prefix):
        server.kill()
        sys.exit(f"credport-server did not start: {line!r}")
    return server, line[len(prefix):].strip(), admin_token


def call(url, token, method, path, body=None):
    request = urllib.request.Request(
        url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def seed(url, admin_token):
    """A site with data in it; returns the site's id, a token with every scope, the id of
    another token of the same user, for the revoke routes, the id of a connection, for the
    refresh route (which answers it 409: it has no refresh token, so nothing is ever sent to a
    token endpoint) and the admin's one-connection read, the id of an API key, for the
    admin's revoke, and the id of a connect session, for reading one."""
    site = call(url, admin_token, "POST", "/v1/admin/sites", {"name": "Fuzzed site"})["id"]
    connections = [
        call(url, admin_token, "POST", f"/v1/admin/sites/{site}/connections", {
            "provider": provider,
            "provider_config_key": f"{provider}-prod",
            "credentials": {"type": kind, "fields": {"secret": secrets.token_hex(8)}},
        })["id"]
        for provider, kind in [("google", "oauth2"), ("shopify", "api_key")]
    ]
    token = call(url, admin_token, "POST", f"/v1/admin/sites/{site}/personal_access_tokens",
                 {"user_id": "fuzzer", "name": "schemathesis"})["token"]
    victim = call(url, token, "POST", "/v1/personal_access_tokens", {"name": "to revoke"})["id"]
    api_key = call(url, token, "POST", "/v1/api_keys", {"name": "seeded", "subject": "s"})["id"]
    # A configuration that connects, and a session of it. Its endpoints are a closed port: the
    # fuzzer cannot make a state the callback accepts, so nothing is ever sent to them.
    call(url, admin_token, "POST", f"/v1/admin/sites/{site}/provider_configs", {
        "key": "fuzz-connect", "provider": "google", "client_id": "fuzz",
        "client_secret": secrets.token_hex(16),
        "token_url": "http://127.0.0.1:9/token",
        "authorization_url": "http://127.0.0.1:9/authorize",
    })
    session = call(url, admin_token, "POST", f"/v1/admin/sites/{site}/connect_sessions",
                   {"provider_config_key": "fuzz-connect"})["id"]
    return site, token, victim, connections[0], api_key, session


def fuzz(url, seconds):
    """One schemathesis run over every operation, each with its kind of token (the config)."""
    command = [
        str(SCHEMATHESIS), "--config-file", str(HERE / "schemathesis.toml"), "run",
        str(ROOT / "docs" / "openapi.yaml"),
        "--url", url,
        "--phases", "examples,coverage,fuzzing",
        "--checks", "all",
        "--max-time", str(seconds),
        # One worker: Python 3.11's parser is not safe to run from two threads at once, and
        # hypothesis parses lambda sources while it generates.
        "--workers", "1",
        "--seed", os.environ.get("SCHEMATHESIS_SEED", "17"),
        "--no-color",
    ]
    return subprocess.run(command).returncode


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    budget = int(os.environ.get("SCHEMATHESIS_SECONDS", "110"))
    with tempfile.TemporaryDirectory() as directory:
        server, url, admin_token = start(sys.argv[1], directory)
        try:
            site, token, victim, connection, api_key, session = seed(url, admin_token)
            os.environ.update({
                "CREDPORT_FUZZ_SITE": site,
                "CREDPORT_FUZZ_TOKEN": token,
                "CREDPORT_FUZZ_VICTIM": victim,
                "CREDPORT_FUZZ_CONNECTION": connection,
                "CREDPORT_FUZZ_API_KEY": api_key,
                "CREDPORT_FUZZ_CONNECT_SESSION": session,
                "CREDPORT_FUZZ_ADMIN_TOKEN": admin_token,
            })
            failed = fuzz(url, budget)
            # Had the run revoked its own token, everything after would have been a 401 that
            # tested nothing: make sure it did not.
            try:
                call(url, token, "GET", "/v1/connections")
            except urllib.error.HTTPError as error:
                print(f"the fuzzing token stopped working during the run ({error.code})")
                failed = 1
        finally:
            server.terminate()
            server.wait(timeout=30)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
