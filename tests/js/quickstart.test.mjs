// The Node quickstart (examples/node/quickstart.mjs), run as a user runs it: next to the installed
// package, with CREDPORT_API_KEY and CREDPORT_BASE_URL, against a real credport-server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { root, startServer, testProject, connectionBody } from './harness.mjs';

let server, site;

before(async () => {
  server = await startServer();
  site = await server.site({ name: 'Quickstart site' });
  await server.connection(site.site.id, connectionBody('google', { credentials: { type: 'oauth2', fields: { access_token: 'ya29.x' } } }));
  await server.connection(site.site.id, connectionBody('slack', { status: 'inactive' }));
});

after(async () => {
  await server?.stop();
});

test('the quickstart runs to the end and prints what a person wants to see', async () => {
  const dir = fs.mkdtempSync(path.join(testProject(), 'quickstart-'));
  const script = path.join(dir, 'quickstart.mjs');
  fs.copyFileSync(path.join(root, 'examples/node/quickstart.mjs'), script);
  const { stdout } = await promisify(execFile)(process.execPath, [script], {
    cwd: dir,
    env: { ...process.env, CREDPORT_API_KEY: site.token, CREDPORT_BASE_URL: server.url, CREDPORT_LOG: 'warn' },
  });
  assert.match(stdout, /Found 2 connections/);
  assert.match(stdout, /✓ google: active, oauth2 with 1 credential fields \(access_token\)/);
  assert.match(stdout, /⚠ slack: inactive/);
  assert.match(stdout, /verify: VALID/);
  assert.match(stdout, /after revoke, verify: REVOKED/);
  assert.match(stdout, /revoked: state REVOKED/);
  assert.match(stdout, /the revoked token is refused: 401 unauthenticated/);
  assert.match(stdout, /Done\./);
  for (const secret of [site.token, 'ya29.x']) assert.ok(!stdout.includes(secret), 'the quickstart prints no secret');
});
