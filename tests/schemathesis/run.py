"""Fuzzes credport-server against docs/openapi.yaml with schemathesis (every check), on a real
server with a fresh database: a site with connections and API keys, a personal access token for
the site routes and the admin token for the admin routes. Exits non-zero on any failure.

Two modes:
- `run.py BINARY` (`npm test`): the examples, coverage and fuzzing phases, derandomized:
  hypothesis draws from a seed fixed by each test, every operation gets the same number of
  examples (SCHEMATHESIS_EXAMPLES, default 25) and no clock decides what runs, so one commit
  gives one result on every machine. The cases of regressions.py (what fuzzing found before) are
  then sent as they are.
- `run.py --fuzz BINARY` (`npm run fuzz`): the fuzzing phase as a randomized search,
  FUZZ_ROUNDS rounds (default 4) of FUZZ_EXAMPLES examples per operation (default 500, 20 times
  the `npm test` run), each round with a seed of its own (SCHEMATHESIS_SEED fixes the first). A
  failing round prints its seed and the command that replays it. Not run by CI.

When CREDPORT_TEST_RESULT names a file, the outcome is written there as JSON (operations
passed, failed and skipped, and the first failure) for the summary of `npm test`.
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema_rs
import yaml

from regressions import CASES

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DOCUMENT = ROOT / "docs" / "openapi.yaml"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CI_EXAMPLES = 25


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
        # Schemathesis sends a wrong token to every operation on purpose: past the default burst
        # the answers would turn from 401 to 429 by how fast the run goes.
        "CREDPORT_AUTH_FAILURE_BURST": "1000000",
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
    """One request; returns the status and the decoded answer (None when empty)."""
    request = urllib.request.Request(
        url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else None


def created(url, token, method, path, body):
    """The answer of a request that must succeed (seeding)."""
    status, answer = call(url, token, method, path, body)
    if status >= 300:
        sys.exit(f"seeding failed: {method} {path} answered {status}: {answer}")
    return answer


def seed(url, admin_token):
    """A site with data in it: the site's id, a token with every scope, the id of another token
    of the same user (for the revoke routes), of a connection (for the refresh route, which
    answers it 409: it has no refresh token, so nothing is ever sent to a token endpoint), of
    an API key, of a connect session (for reading one) and of two webhook endpoints (one to fuzz,
    one to delete)."""
    site = created(url, admin_token, "POST", "/v1/admin/sites", {"name": "Fuzzed site"})["id"]
    connections = [
        created(url, admin_token, "POST", f"/v1/admin/sites/{site}/connections", {
            "provider": provider,
            "provider_config_key": f"{provider}-prod",
            "credentials": {"type": kind, "fields": {"secret": secrets.token_hex(8)}},
        })["id"]
        for provider, kind in [("google", "oauth2"), ("shopify", "api_key")]
    ]
    token = created(url, admin_token, "POST", f"/v1/admin/sites/{site}/personal_access_tokens",
                    {"user_id": "fuzzer", "name": "schemathesis"})["token"]
    victim = created(url, token, "POST", "/v1/personal_access_tokens", {"name": "to revoke"})["id"]
    api_key = created(url, token, "POST", "/v1/api_keys", {"name": "seeded", "subject": "s"})["id"]
    # A configuration that connects, and a session of it. Its endpoints are a closed port: the
    # fuzzer cannot make a state the callback accepts, so nothing is ever sent to them.
    created(url, admin_token, "POST", f"/v1/admin/sites/{site}/provider_configs", {
        "key": "fuzz-connect", "provider": "google", "client_id": "fuzz",
        "client_secret": secrets.token_hex(16),
        "token_url": "http://127.0.0.1:9/token",
        "authorization_url": "http://127.0.0.1:9/authorize",
    })
    session = created(url, admin_token, "POST", f"/v1/admin/sites/{site}/connect_sessions",
                      {"provider_config_key": "fuzz-connect"})["id"]
    # Webhook endpoints on a public address literal (no name to resolve), for an event type that
    # never occurs here (a connect succeeds only through a provider; the configuration's is a
    # closed port). Nothing can reach it anyway: the run is in a network namespace of its own
    # (main()), where only loopback exists.
    hooks = [
        created(url, admin_token, "POST", f"/v1/admin/sites/{site}/webhook_endpoints", {
            "url": "https://93.184.216.34/credport", "types": ["connect.succeeded"],
        })["id"]
        for _ in range(2)
    ]
    return {"site": site, "token": token, "victim": victim, "connection": connections[0],
            "api_key": api_key, "connect_session": session, "webhook": hooks[0],
            "webhook_victim": hooks[1], "admin_token": admin_token}


def schemathesis(url, options, report):
    """One schemathesis run over every operation, each with its kind of token (the config);
    returns its exit code."""
    command = [
        str(SCHEMATHESIS), "--config-file", str(HERE / "schemathesis.toml"), "run",
        str(DOCUMENT),
        "--url", url,
        "--checks", "all",
        # One worker: Python 3.11's parser is not safe to run from two threads at once, and
        # hypothesis parses lambda sources while it generates.
        "--workers", "1",
        # How long an example takes must not change the outcome on a slower machine.
        "--suppress-health-check", "too_slow",
        "--report", "junit", "--report-junit-path", str(report),
        "--no-color",
        *options,
    ]
    return subprocess.run(command).returncode


def operations(report):
    """Operations passed, failed and skipped, and the first failure, from the JUnit report."""
    counts = {"passed": 0, "failed": 0, "skipped": 0, "first_failure": None}
    if not report.exists():
        return counts
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            counts["failed"] += 1
            counts["first_failure"] = counts["first_failure"] or case.get("name")
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts


def request_schema(document, operation_id):
    """The method, path and JSON body schema (with the document's components, for its $refs)
    of one operation."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                return method.upper(), path, {**body, "components": document["components"]}
    raise LookupError(f"no operation {operation_id} in {DOCUMENT}")


def regressions(url, seeded):
    """Each case of regressions.py sent as it is: the document's verdict on the body must be
    the server's (a body the schema refuses is answered 400 naming the field; one it accepts is
    not refused as invalid). Returns the names of the cases that failed."""
    document = yaml.safe_load(DOCUMENT.read_text())
    failed = []
    for case in CASES:
        method, template, schema = request_schema(document, case["operation"])
        path = template.format(**{name: seeded[value] for name, value in case["ids"].items()})
        valid = jsonschema_rs.validator_for(schema).is_valid(case["body"])
        token = seeded["admin_token" if path.startswith("/v1/admin/") else "token"]
        status, answer = call(url, token, method, path, case["body"])
        field = ((answer or {}).get("error") or {}).get("details", {}).get("field")
        if valid != case["valid"]:
            verdict = "accepts" if valid else "refuses"
            problem = f"the document {verdict} it, the case says it should not"
        elif valid and status == 400:
            problem = f"the document accepts it, the server answered 400 ({field})"
        elif not valid and (status != 400 or field != case["field"]):
            problem = f"the document refuses it, the server answered {status} ({field})"
        else:
            print(f"regression ok: {case['name']}")
            continue
        print(f"regression FAILED: {case['name']}: {problem}")
        failed.append(case["name"])
    return failed


def run(binary, options, report):
    """A server with seeded data, one schemathesis run against it, then the regression cases;
    returns whether all passed and the names of the regression cases that failed."""
    with tempfile.TemporaryDirectory() as directory:
        server, url, admin_token = start(binary, directory)
        try:
            seeded = seed(url, admin_token)
            os.environ.update({
                "CREDPORT_FUZZ_SITE": seeded["site"],
                "CREDPORT_FUZZ_TOKEN": seeded["token"],
                "CREDPORT_FUZZ_VICTIM": seeded["victim"],
                "CREDPORT_FUZZ_CONNECTION": seeded["connection"],
                "CREDPORT_FUZZ_API_KEY": seeded["api_key"],
                "CREDPORT_FUZZ_CONNECT_SESSION": seeded["connect_session"],
                "CREDPORT_FUZZ_WEBHOOK": seeded["webhook"],
                "CREDPORT_FUZZ_WEBHOOK_VICTIM": seeded["webhook_victim"],
                "CREDPORT_FUZZ_ADMIN_TOKEN": admin_token,
            })
            passed = schemathesis(url, options, report) == 0
            # Had the run revoked its own token, everything after would have been a 401 that
            # tested nothing: make sure it did not.
            status, _ = call(url, seeded["token"], "GET", "/v1/connections")
            if status != 200:
                print(f"the fuzzing token stopped working during the run ({status})")
                passed = False
            failed_cases = regressions(url, seeded)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return passed and not failed_cases, failed_cases


def deterministic(binary, report):
    examples = os.environ.get("SCHEMATHESIS_EXAMPLES", str(CI_EXAMPLES))
    passed, failed_cases = run(binary, [
        "--phases", "examples,coverage,fuzzing", "--generation-deterministic",
        "--max-examples", examples,
    ], report)
    result = operations(report)
    result["passed"] += len(CASES) - len(failed_cases)
    result["failed"] += len(failed_cases)
    if failed_cases and not result["first_failure"]:
        result["first_failure"] = f"regression {failed_cases[0]}"
    if not passed and not result["failed"]:
        result["failed"] = 1
        result["first_failure"] = "schemathesis exited with an error"
    return passed, result


def fuzz(binary, report):
    examples = int(os.environ.get("FUZZ_EXAMPLES", str(20 * CI_EXAMPLES)))
    rounds = int(os.environ.get("FUZZ_ROUNDS", "4"))
    first = os.environ.get("SCHEMATHESIS_SEED")
    failures = []
    result = {"passed": 0, "failed": 0, "skipped": 0, "first_failure": None}
    for number in range(rounds):
        seed = int(first) if first and number == 0 else secrets.randbelow(2**63)
        print(f"== fuzz round {number + 1} of {rounds}: seed {seed}, {examples} examples per operation",
              flush=True)
        # The fuzzing phase alone: the examples and coverage phases do not draw at random, and
        # `npm test` runs them already.
        passed, _ = run(binary, [
            "--phases", "fuzzing", "--seed", str(seed), "--max-examples", str(examples),
        ], report)
        counts = operations(report)
        for key in ("passed", "failed", "skipped"):
            result[key] += counts[key]
        if not passed:
            failures.append(seed)
            result["first_failure"] = result["first_failure"] or f"seed {seed}: {counts['first_failure']}"
    for seed in failures:
        print(f"fuzz round with seed {seed} FAILED; replay it with\n"
              f"  SCHEMATHESIS_SEED={seed} FUZZ_ROUNDS=1 FUZZ_EXAMPLES={examples} npm run fuzz")
    if failures:
        print("Fix each finding (server or docs/openapi.yaml) and add it to "
              "tests/schemathesis/regressions.py, so `npm test` keeps checking it.")
    else:
        print(f"fuzzing found nothing in {rounds} rounds")
    return not failures, result


def isolate():
    """Re-runs this script in a network namespace of its own where only loopback exists
    (`unshare --net`, as root or in a user namespace of its own), so that whatever the fuzzer
    makes the server do (a webhook endpoint moved to a public address, say) reaches nothing but
    this machine's loopback. Refuses to fuzz without it."""
    if os.environ.get("CREDPORT_FUZZ_ISOLATED") == "1":
        return
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    script = 'ip link set lo up 2>/dev/null || true; exec "$@"'
    command = ["unshare", "--net", *user, "sh", "-c", script, "sh", sys.executable, *sys.argv]
    env = {**os.environ, "CREDPORT_FUZZ_ISOLATED": "1"}
    try:
        os.execvpe("unshare", command, env)
    except OSError as error:
        sys.exit(f"cannot make a network namespace for the fuzzing run (unshare: {error})")


def main():
    isolate()
    arguments = sys.argv[1:]
    mode = deterministic
    if arguments[:1] == ["--fuzz"]:
        mode, arguments = fuzz, arguments[1:]
    if len(arguments) != 1:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as reports:
        passed, result = mode(arguments[0], Path(reports) / "junit.xml")
    if os.environ.get("CREDPORT_TEST_RESULT"):
        Path(os.environ["CREDPORT_TEST_RESULT"]).write_text(json.dumps(result))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
