// `npm run demo` (scripts/demo.mjs) as a person runs it, on the server binary this suite runs: the
// demo's own checks (one refresh, one code exchange) decide its exit code, and every step a
// person is shown must be there, ending with the line that says what it did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { root, runChild, serverBinary } from './harness.mjs';

/** Runs scripts/demo.mjs as `npm run demo` does, on the suite's server binary. */
function runDemo(limitMs) {
  return runChild(process.execPath, [path.join(root, 'scripts/demo.mjs')], {
    what: 'npm run demo',
    limitMs,
    cwd: root,
    env: { ...process.env, CREDPORT_SERVER_BIN: serverBinary() },
  });
}

test('npm run demo: the quickstart, a refresh and a connect, end to end', { timeout: 120_000 }, async () => {
  // Killed before the test's own 120 s timeout, so that a hang fails with what the demo printed.
  const { code, stdout, stderr } = await runDemo(100_000);
  assert.equal(code, 0, `npm run demo exited ${code}:\n${stdout}${stderr}`);
  const steps = [
    /^demo data: site site_\w+, user demo-user$/m,
    /^Found 4 connections$/m,
    /✓ google: active, oauth2 with 3 credential fields \(access_token, refresh_token, token_type\); token valid until /,
    /⚠ slack: inactive/,
    /after revoke, verify: REVOKED/,
    /the revoked token is refused: 401 unauthenticated/,
    /calls to the token endpoint: 1$/m,
    /the link answers 302, to the stand-in's authorization page with PKCE S256 and a state/,
    /back at credport-server's callback \(200\): "Connected to google\."/,
    /session succeeded; new connection conn_\w+: google, active, scopes openid email/,
  ];
  for (const step of steps) assert.match(stdout, step);
  assert.match(stdout.trimEnd().split('\n').pop(), /^npm run demo: done\. /);
  // Secrets are shown by where they are (`key.secret`), never by value.
  assert.doesNotMatch(stdout, /\b(cpat|cpk)_[A-Za-z0-9]{8,}/);
});
