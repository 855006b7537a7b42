// The `credport` command from the packed tarball, installed in a fresh project and run as a
// process (node_modules/.bin/credport, and once through npx) against a real credport-server.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { testProject, startServer, connectionBody } from './harness.mjs';

let project, bin, server, site;
const secrets = []; // every secret this file creates: no command but the one printing it may show it
const ansi = /\x1b\[/;

/** The environment of a run: none of the caller's credport or colour settings leak in. */
function baseEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(CREDPORT_|NO_COLOR$|FORCE_COLOR$|npm_)/.test(name)) delete env[name];
  }
  return env;
}

/** Runs the installed command: `{ code, stdout, stderr }`. The site's token and the server by default. */
function run(args, { env = {}, input, auth = true, command = bin } = {}) {
  const fullEnv = { ...baseEnv(), ...(auth ? { CREDPORT_API_KEY: site.token, CREDPORT_BASE_URL: server.url } : {}), ...env };
  for (const [k, v] of Object.entries(fullEnv)) if (v === undefined) delete fullEnv[k];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: project, env: fullEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** Runs and expects exit 0 with nothing on stderr. */
async function ok(args, opts) {
  const r = await run(args, opts);
  assert.equal(r.code, 0, `credport ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr, '', `credport ${args.join(' ')} wrote to stderr`);
  return r.stdout;
}

/** Runs with --json and parses stdout. */
async function okJson(args, opts) {
  return JSON.parse(await ok([...args, '--json'], opts));
}

/** Runs and expects `code`, a message on stderr and nothing on stdout. */
async function fails(code, args, opts) {
  const r = await run(args, opts);
  assert.equal(r.code, code, `credport ${args.join(' ')} exited ${r.code}, wanted ${code}: ${r.stdout}${r.stderr}`);
  assert.equal(r.stdout, '', `credport ${args.join(' ')} wrote to stdout on failure`);
  assert.match(r.stderr, /^error: /m);
  assert.doesNotMatch(r.stderr, ansi);
  return r.stderr;
}

function assertNoSecrets(text, label) {
  for (const secret of [site.token, ...secrets]) {
    assert.ok(!text.includes(secret), `${label} shows a secret`);
  }
}

/** The lines of a table: header and rows, with the column each header starts at. */
function parseTable(text) {
  const lines = text.split('\n');
  const end = lines.indexOf('');
  const [header, ...rows] = lines.slice(0, end);
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => [m[0], m.index]);
  return { header, rows, starts, footer: lines.slice(end + 1).join('\n') };
}

/** Every row has a value starting exactly under each header, separated by at least two spaces. */
function assertAligned(text) {
  const { rows, starts } = parseTable(text);
  assert.ok(rows.length > 0);
  for (const row of rows) {
    for (const [name, at] of starts.slice(1)) {
      assert.equal(row.slice(at - 2, at), '  ', `row ${JSON.stringify(row)}: column ${name} not separated`);
      assert.notEqual(row[at], ' ', `row ${JSON.stringify(row)}: nothing under ${name}`);
    }
  }
  return parseTable(text);
}

/** A loopback port with nothing listening on it. */
async function closedPort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const future = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');

before(async () => {
  project = testProject();
  bin = path.join(project, 'node_modules/.bin/credport');
  server = await startServer();
  site = await server.site({ name: 'CLI site' });
  const bodies = [
    connectionBody('google', {
      token_expires_at: future,
      credentials: { type: 'oauth2', expires_at: future, fields: { access_token: 'ya29.cli-google', refresh_token: '1//cli-refresh' } },
    }),
    connectionBody('shopify'),
    connectionBody('konigle_pay', { credentials: { type: 'custom', fields: { merchant_id: 'm-1', secret_key: 'sk-cli-konigle' } } }),
    connectionBody('slack', { status: 'inactive', token_expires_at: '2020-01-01T00:00:00Z' }),
    connectionBody('github', { status: 'invalid' }),
  ];
  for (const body of bodies) {
    await server.connection(site.site.id, body);
    secrets.push(...Object.values(body.credentials.fields).filter((v) => v.length > 4));
  }
});

after(async () => {
  await server?.stop();
});

// ---------------------------------------------------------------- help

const expected = {
  'connections list': ['--page', '--page-size', '--provider', '--status'],
  'connections get': ['ID'],
  'connections get-credentials': ['PROVIDER'],
  'api-keys create': ['--name', '--subject', '--type', '--description', '--claims', '--scope', '--scopes', '--created-by', '--seconds-until-expiration'],
  'api-keys list': ['--subject', '--type', '--include-invalid', '--limit', '--offset', '--query'],
  'api-keys get': ['ID'],
  'api-keys update': [
    'ID', '--description', '--clear-description', '--claims', '--clear-claims', '--scope', '--scopes', '--subject',
    '--seconds-until-expiration', '--no-expiration',
  ],
  'api-keys delete': ['ID'],
  'api-keys secret': ['ID'],
  'api-keys revoke': ['ID', '--revocation-reason'],
  'api-keys verify': ['SECRET'],
  'tokens create': ['--name', '--expires-at', '--scope', '--scopes'],
  'tokens list': [],
  'tokens get': ['ID'],
  'tokens revoke': ['ID'],
};
const globals = ['--api-key', '--base-url', '--json', '--no-color', '--help', '--version'];

describe('help', () => {
  test('--help and -h list every command, the global flags, the environment and the exit codes', async () => {
    for (const flag of ['--help', '-h']) {
      const out = await ok([flag], { auth: false });
      for (const command of Object.keys(expected)) assert.match(out, new RegExp(`^  ${command}\\b`, 'm'), command);
      for (const g of globals) assert.ok(out.includes(g), g);
      assert.match(out, /CREDPORT_API_KEY/);
      assert.match(out, /CREDPORT_BASE_URL/);
      assert.match(out, /NO_COLOR/);
      assert.match(out, /0 success, 1 API or network error, 2 usage error/);
      assert.doesNotMatch(out, ansi);
    }
  });

  test('every command group and subcommand has --help, naming its own flags and arguments', async () => {
    for (const group of ['connections', 'api-keys', 'tokens']) {
      const out = await ok([group, '--help'], { auth: false });
      assert.match(out, new RegExp(`^credport ${group}: `));
      for (const command of Object.keys(expected).filter((c) => c.startsWith(`${group} `))) {
        assert.match(out, new RegExp(`^  ${command.split(' ')[1]}\\b`, 'm'), command);
      }
    }
    for (const [command, names] of Object.entries(expected)) {
      const out = await ok([...command.split(' '), '--help'], { auth: false });
      assert.match(out, new RegExp(`^credport ${command}: `), command);
      assert.match(out, new RegExp(`Usage:\\n  credport ${command}\\b`), command);
      for (const name of [...names, ...globals]) assert.ok(out.includes(name), `${command} --help names ${name}`);
    }
  });

  test('--help wins wherever it is, even after a mistake, and needs no API key', async () => {
    const out = await ok(['api-keys', 'create', '--bogus', '-h'], { auth: false });
    assert.match(out, /^credport api-keys create: /);
    assert.match(await ok(['--help', 'tokens'], { auth: false }), /^credport tokens: /);
  });

  test('npx credport --help works in the project', () => {
    const r = spawnSync('npx', ['--no-install', 'credport', '--help'], { cwd: project, encoding: 'utf8', env: baseEnv() });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^credport: /);
    assert.match(r.stdout, /api-keys create/);
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/credport/package.json'), 'utf8'));
    assert.equal(await ok(['--version'], { auth: false }), `credport ${version}\n`);
  });
});

// ---------------------------------------------------------------- usage errors: exit 2

describe('usage errors exit 2 and name what is wrong', () => {
  test('no command: the help on stderr, nothing on stdout', async () => {
    const r = await run([], { auth: false });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Usage:/);
    assert.match(r.stderr, /error: no command given/);
  });

  test('unknown command, subcommand and flag', async () => {
    assert.match(await fails(2, ['conections', 'list']), /unknown command 'conections'/);
    assert.match(await fails(2, ['tokens', 'lst']), /unknown command 'lst' for 'credport tokens'/);
    assert.match(await fails(2, ['connections', 'list', '--pagesize', '5']), /unknown flag --pagesize for 'credport connections list'/);
    assert.match(await fails(2, ['tokens', 'list', '-x']), /unknown flag '-x'/);
    // A key typed with one dash, or pasted as an argument, is not printed back.
    for (const args of [['tokens', 'list', '-api-key=cpat_SECRET1'], ['tokens', 'list', 'cpat_SECRET2'], ['tokens', 'list', '-cpk_SECRET3']]) {
      const message = await fails(2, args);
      assert.doesNotMatch(message, /SECRET/, message);
      assert.match(message, /not shown|unknown flag '-api-key'/, message);
    }
    // A near miss gets a suggestion.
    assert.match(await fails(2, ['tokens', 'lst']), /did you mean 'list'\?/);
    assert.match(await fails(2, ['connections', 'list', '--pagesize', '5']), /did you mean '--page-size'\?/);
    // A flag of another command is unknown here.
    assert.match(await fails(2, ['api-keys', 'get', 'ak_1', '--page', '2']), /unknown flag --page for 'credport api-keys get'/);
  });

  test('missing subcommand, missing and extra arguments, a flag without its value', async () => {
    assert.match(await fails(2, ['api-keys']), /'credport api-keys' needs a subcommand \(create, list, get, update, delete, secret, revoke, verify\)/);
    assert.match(await fails(2, ['connections', 'get']), /needs ID/);
    assert.match(await fails(2, ['connections', 'get-credentials']), /needs PROVIDER/);
    assert.match(await fails(2, ['tokens', 'list', 'extra']), /unexpected argument 'extra'/);
    assert.match(await fails(2, ['connections', 'list', '--page']), /--page needs a value/);
    assert.match(await fails(2, ['connections', 'list', '--json=yes']), /--json does not take a value/);
  });

  test('numbers and JSON are checked before any request', async () => {
    assert.match(await fails(2, ['connections', 'list', '--page', 'two']), /--page must be a whole number, got 'two'/);
    assert.match(await fails(2, ['connections', 'list', '--page-size', '5x']), /--page-size must be a whole number/);
    assert.match(await fails(2, ['api-keys', 'list', '--limit', '1.5']), /--limit must be a whole number/);
    assert.match(await fails(2, ['api-keys', 'create', '--name', 'n', '--subject', 's', '--claims', '{plan: pro}']), /--claims must be JSON/);
    assert.match(await fails(2, ['api-keys', 'update', 'ak_1', '--claims', 'nope']), /--claims must be JSON/);
  });

  test("the SDK's argument checks are usage errors, in the CLI's names", async () => {
    assert.match(await fails(2, ['connections', 'list', '--page', '0']), /--page must be between 1/);
    assert.match(await fails(2, ['connections', 'list', '--page-size', '101']), /--page-size must be between 1 and 100/);
    assert.match(await fails(2, ['api-keys', 'create', '--subject', 's']), /--name is required/);
    assert.match(await fails(2, ['api-keys', 'create', '--name', 'n', '--subject', 's', '--seconds-until-expiration', '0']), /--seconds-until-expiration/);
    assert.match(await fails(2, ['tokens', 'create', '--name', 'x', '--expires-at', 'tomorrow']), /--expires-at/);
    assert.match(await fails(2, ['tokens', 'create', '--name', 'x', '--scopes', '']), /--scopes must hold at least one scope/);
    assert.match(await fails(2, ['connections', 'get', '']), /ID must not be empty/);
    assert.match(await fails(2, ['connections', 'list', '--base-url', 'ftp://example.com']), /--base-url/);
    // A value from the environment is named by its variable.
    const fromEnv = await fails(2, ['connections', 'list'], { env: { CREDPORT_BASE_URL: '127.0.0.1:8787' } });
    assert.match(fromEnv, /CREDPORT_BASE_URL must/);
    assert.doesNotMatch(fromEnv, /--base-url/);
  });

  test('api-keys update needs something to change, and not a value and its clearing at once', async () => {
    assert.match(await fails(2, ['api-keys', 'update', 'ak_1']), /nothing to update/);
    assert.match(await fails(2, ['api-keys', 'update', 'ak_1', '--description', 'd', '--clear-description']), /--description and --clear-description/);
    assert.match(await fails(2, ['api-keys', 'update', 'ak_1', '--claims', '{}', '--clear-claims']), /--claims and --clear-claims/);
    assert.match(
      await fails(2, ['api-keys', 'update', 'ak_1', '--seconds-until-expiration', '5', '--no-expiration']),
      /--seconds-until-expiration and --no-expiration/,
    );
  });

  test('a missing API key names CREDPORT_API_KEY', async () => {
    const message = await fails(2, ['connections', 'list'], { auth: false, env: { CREDPORT_BASE_URL: server.url } });
    assert.match(message, /CREDPORT_API_KEY/);
    assert.match(message, /--api-key/);
    // An empty variable is no key either.
    assert.match(await fails(2, ['tokens', 'list'], { env: { CREDPORT_API_KEY: '' } }), /CREDPORT_API_KEY/);
  });
});

// ---------------------------------------------------------------- API and network errors: exit 1

describe('API and network errors exit 1 with the message and request id, never the key', () => {
  test('not found', async () => {
    const message = await fails(1, ['connections', 'get', 'conn_missing']);
    assert.match(message, /^error: .*not found.* \(request id: \S+\)$/m);
    assertNoSecrets(message, 'a 404');
  });

  test('a refused key: 401, a hint, and the key is not printed', async () => {
    const key = 'cpat_not-a-real-token-0123456789';
    for (const opts of [{ env: { CREDPORT_API_KEY: key } }, {}]) {
      const args = opts.env ? ['connections', 'list'] : ['connections', 'list', '--api-key', key];
      const r = await run(args, opts);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^error: .*\(request id: \S+\)$/m);
      assert.match(r.stderr, /CREDPORT_API_KEY/);
      assert.ok(!r.stderr.includes(key), 'the key is not printed');
    }
  });

  test('a token without the scope: 403', async () => {
    const reader = await server.site({ name: 'Reader', user: 'reader', scopes: ['connections:read'] });
    const r = await run(['api-keys', 'list'], { env: { CREDPORT_API_KEY: reader.token } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /request id: /);
    assert.match(r.stderr, /scope/);
    assert.ok(!r.stderr.includes(reader.token));
  });

  test('the server is not there: a network error', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const message = await fails(1, ['connections', 'list', '--base-url', url]);
    assert.match(message, /onnection/);
    assert.ok(!message.includes(site.token));
  });

  test("a server's error text cannot move the cursor or fake another line", async () => {
    // Not credport-server: something at --base-url answering with terminal escapes.
    const odd = http.createServer((req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      const message = '\u001b[2J\u001b[31mboom\nerror: all is well\u009b1A';
      res.end(JSON.stringify({ error: { code: 'invalid_request', message, request_id: 'req_\u001b[0m' } }));
    });
    await new Promise((resolve) => odd.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${odd.address().port}`;
      const message = await fails(1, ['connections', 'list', '--base-url', url]);
      assert.doesNotMatch(message, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'a control character reached the terminal');
      assert.equal(message.split('\n').filter((line) => line.startsWith('error: ')).length, 1, message);
      assert.match(message, /\\x1b\[2J.*boom\\nerror: all is well/);
    } finally {
      await new Promise((resolve) => odd.close(resolve));
    }
  });

  test('a conflict from the server', async () => {
    await ok(['api-keys', 'create', '--name', 'dup', '--subject', 'user_dup']);
    const message = await fails(1, ['api-keys', 'create', '--name', 'dup', '--subject', 'user_dup']);
    assert.match(message, /request id: /);
  });
});

// ---------------------------------------------------------------- configuration

describe('configuration', () => {
  test('--api-key and --base-url, without the environment', async () => {
    const out = await ok(['connections', 'list', '--api-key', site.token, '--base-url', server.url], { auth: false });
    assert.match(out, /^ID +PROVIDER/);
  });

  test('flags win over the environment', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    await ok(['tokens', 'list', '--base-url', server.url], { env: { CREDPORT_BASE_URL: url } });
    await ok(['tokens', 'list', '--api-key', site.token], { env: { CREDPORT_API_KEY: 'cpat_wrong' } });
  });

  test("CREDPORT_LOG=debug: the SDK's request log goes to stderr, --json stays clean on stdout", async () => {
    const r = await run(['connections', 'list', '--json'], { env: { CREDPORT_LOG: 'debug' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).count, 5);
    assert.match(r.stderr, /^\[credport\] GET \/v1\/connections answered 200 .*request id/m);
    assert.ok(!r.stderr.includes(site.token));
  });

  test('global flags may come before the command', async () => {
    const page = await okJson(['--api-key', site.token, 'connections', 'list'], { auth: false, env: { CREDPORT_BASE_URL: server.url } });
    assert.equal(page.count, 5);
  });
});

// ---------------------------------------------------------------- connections

describe('connections', () => {
  test('list: an aligned table without colour when stdout is not a terminal', async () => {
    const out = await ok(['connections', 'list']);
    assert.doesNotMatch(out, ansi);
    const { starts, rows, footer } = assertAligned(out);
    assert.deepEqual(starts.map(([name]) => name), ['ID', 'PROVIDER', 'CONFIG KEY', 'RESOURCE', 'STATUS', 'CREDENTIALS', 'TOKEN EXPIRES']);
    assert.equal(rows.length, 5);
    assert.ok(rows.some((r) => /\bgoogle-prod\b.*\bactive\b.*\boauth2\b/.test(r)));
    assert.ok(rows.some((r) => /\bslack\b.*\binactive\b.*2020-01-01T00:00:00Z \(expired\)$/.test(r)));
    assert.match(footer, /Page 1 of 1, 5 connections/);
    assertNoSecrets(out, 'connections list');
  });

  test('list --json: the whole page, camelCase', async () => {
    const page = await okJson(['connections', 'list']);
    assert.equal(page.count, 5);
    assert.equal(page.page, 1);
    assert.equal(page.pageSize, 20);
    assert.equal(page.next, null);
    assert.equal(page.payload.length, 5);
    const google = page.payload.find((c) => c.provider === 'google');
    assert.equal(google.providerConfigKey, 'google-prod');
    assert.equal(google.isActive, true);
    assert.deepEqual(google.credentials, { type: 'oauth2', expiresAt: future });
    assert.deepEqual(google.metadata, { tenantId: 't-1', 'Display Name': 'google' });
    assertNoSecrets(JSON.stringify(page), 'connections list --json');
  });

  test('list --page --page-size --provider --status', async () => {
    const second = await okJson(['connections', 'list', '--page', '2', '--page-size', '2']);
    assert.equal(second.page, 2);
    assert.equal(second.pageSize, 2);
    assert.equal(second.payload.length, 2);
    assert.equal(second.next, 3);
    assert.equal(second.previous, 1);
    const table = await ok(['connections', 'list', '--page', '2', '--page-size', '2']);
    assert.match(table, /Page 2 of 3, 5 connections; next: --page 3/);
    const google = await okJson(['connections', 'list', '--provider', 'google']);
    assert.deepEqual(google.payload.map((c) => c.provider), ['google']);
    const active = await okJson(['connections', 'list', '--status', 'active']);
    assert.deepEqual(active.payload.map((c) => c.provider).sort(), ['google', 'konigle_pay', 'shopify']);
    assert.equal(await ok(['connections', 'list', '--provider', 'nobody']), 'No connections.\n');
  });

  test('get: details, then --json; never the credentials', async () => {
    const page = await okJson(['connections', 'list', '--provider', 'google']);
    const id = page.payload[0].id;
    const out = await ok(['connections', 'get', id]);
    assert.match(out, new RegExp(`^ID: +${id}$`, 'm'));
    assert.match(out, /^Provider: +google$/m);
    assert.match(out, /^Status: +active$/m);
    assert.match(out, /^Credentials: +oauth2$/m);
    assert.doesNotMatch(out, ansi);
    assertNoSecrets(out, 'connections get');
    const json = await okJson(['connections', 'get', id]);
    assert.equal(json.id, id);
    assert.equal(json.rootResourceName, 'google account');
    assertNoSecrets(JSON.stringify(json), 'connections get --json');
  });

  test("get: metadata's control characters are escaped, C1 ones too (JSON.stringify leaves them raw)", async () => {
    const made = await server.connection(site.site.id, connectionBody('controls', { metadata: { note: 'a\u009b2J\u001bb' } }));
    const out = await ok(['connections', 'get', made.id]);
    assert.doesNotMatch(out, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'a control character reached the terminal');
    assert.match(out, /^Metadata: +\{"note":"a\\x9b2J\\u001bb"\}$/m);
  });

  test('get-credentials prints the secret fields, as a table and as JSON', async () => {
    const out = await ok(['connections', 'get-credentials', 'google']);
    assert.match(out, /^Provider: +google$/m);
    assert.match(out, /^Type: +oauth2$/m);
    assert.match(out, /^access_token: +ya29\.cli-google$/m);
    assert.match(out, /^refresh_token: +1\/\/cli-refresh$/m);
    const json = await okJson(['connections', 'get-credentials', 'konigle_pay']);
    assert.deepEqual(json, { provider: 'konigle_pay', type: 'custom', expiresAt: null, fields: { merchant_id: 'm-1', secret_key: 'sk-cli-konigle' } });
    assert.match(await fails(1, ['connections', 'get-credentials', 'dropbox']), /request id: /);
  });
});

// ---------------------------------------------------------------- API keys

describe('api-keys', () => {
  let key; // created with every flag

  test('create with every flag: --json has the secret and every field', async () => {
    key = await okJson([
      'api-keys', 'create', '--name', 'ci', '--subject', 'user_42', '--type', 'machine', '--description', 'CI deploys',
      '--claims', '{"plan":"pro","seats":3}', '--scope', 'read', '--scopes', 'write,admin', '--created-by', 'alice',
      '--seconds-until-expiration', '3600',
    ]);
    secrets.push(key.secret);
    assert.match(key.secret, /^cpk_/);
    assert.equal(key.name, 'ci');
    assert.equal(key.subject, 'user_42');
    assert.equal(key.type, 'machine');
    assert.equal(key.description, 'CI deploys');
    assert.deepEqual(key.claims, { plan: 'pro', seats: 3 });
    assert.deepEqual(key.scopes, ['read', 'write', 'admin']);
    assert.equal(key.createdBy, 'alice');
    assert.ok(key.expiration, 'expires');
    assert.equal(key.revoked, false);
  });

  test('create for people: details, the secret once and a note to store it', async () => {
    const out = await ok(['api-keys', 'create', '--name', 'laptop', '--subject', 'user_7']);
    const secret = /^Secret: +(cpk_\S+)$/m.exec(out)?.[1];
    assert.ok(secret, out);
    secrets.push(secret);
    assert.equal(out.split(secret).length, 2, 'the secret is printed once');
    assert.match(out, /Store the secret now/);
    assert.match(out, /^Name: +laptop$/m);
    assert.match(out, /^Status: +active$/m);
    assert.doesNotMatch(out, ansi);
  });

  test('list: aligned table, JSON, filters and paging; never a secret', async () => {
    const out = await ok(['api-keys', 'list']);
    const { starts, rows, footer } = assertAligned(out);
    assert.deepEqual(starts.map(([n]) => n), ['ID', 'NAME', 'SUBJECT', 'TYPE', 'STATUS', 'SCOPES', 'EXPIRES', 'LAST USED']);
    assert.ok(rows.some((r) => r.startsWith(key.id) && /\bmachine\b.*\bactive\b.*read,write,admin/.test(r)));
    assert.match(footer, /of \d+ API keys/);
    assertNoSecrets(out, 'api-keys list');
    const all = await okJson(['api-keys', 'list']);
    assert.ok(all.totalCount >= 3);
    assertNoSecrets(JSON.stringify(all), 'api-keys list --json');
    const bySubject = await okJson(['api-keys', 'list', '--subject', 'user_42']);
    assert.deepEqual(bySubject.data.map((k) => k.id), [key.id]);
    assert.equal(bySubject.totalCount, 1);
    assert.deepEqual((await okJson(['api-keys', 'list', '--type', 'machine'])).data.map((k) => k.id), [key.id]);
    assert.deepEqual((await okJson(['api-keys', 'list', '--query', 'CI deploys'])).data.map((k) => k.id), [key.id]);
    const first = await okJson(['api-keys', 'list', '--limit', '1']);
    const second = await okJson(['api-keys', 'list', '--limit', '1', '--offset', '1']);
    assert.equal(first.data.length, 1);
    assert.equal(second.data.length, 1);
    assert.notEqual(first.data[0].id, second.data[0].id);
    assert.match(await ok(['api-keys', 'list', '--limit', '1']), /1-1 of \d+ API keys; next: --offset 1/);
  });

  test('get: details and JSON, without the secret', async () => {
    const out = await ok(['api-keys', 'get', key.id]);
    assert.match(out, /^Name: +ci$/m);
    assert.match(out, /^Claims: +\{"plan":"pro","seats":3\}$/m);
    assertNoSecrets(out, 'api-keys get');
    const json = await okJson(['api-keys', 'get', key.id]);
    assert.equal(json.id, key.id);
    assert.equal(json.secret, undefined);
    assertNoSecrets(JSON.stringify(json), 'api-keys get --json');
  });

  test('update: every field, then clearing description, claims and expiry', async () => {
    const updated = await okJson([
      'api-keys', 'update', key.id, '--description', 'nightly', '--claims', '[1,2]', '--scope', 'deploy', '--subject', 'user_43',
      '--seconds-until-expiration', '7200',
    ]);
    assert.equal(updated.description, 'nightly');
    assert.deepEqual(updated.claims, [1, 2]);
    assert.deepEqual(updated.scopes, ['deploy']);
    assert.equal(updated.subject, 'user_43');
    assert.ok(updated.expiration);
    const cleared = await okJson(['api-keys', 'update', key.id, '--clear-description', '--clear-claims', '--no-expiration', '--scopes', '']);
    assert.equal(cleared.description, null);
    assert.equal(cleared.claims, null);
    assert.equal(cleared.expiration, null);
    assert.deepEqual(cleared.scopes, []);
    assert.equal(cleared.subject, 'user_43', 'what was not given stays');
    const out = await ok(['api-keys', 'update', key.id, '--description', 'back']);
    assert.match(out, /^Description: +back$/m);
    assert.match(out, new RegExp(`\\nUpdated API key ${key.id}\\.\\n$`), 'it ends saying what it did');
    assertNoSecrets(out, 'api-keys update');
  });

  test('secret: the secret alone, or {secret} with --json', async () => {
    assert.equal(await ok(['api-keys', 'secret', key.id]), `${key.secret}\n`);
    assert.deepEqual(await okJson(['api-keys', 'secret', key.id]), { secret: key.secret });
  });

  test('verify: VALID from an argument and from stdin; NOT_FOUND is a result (exit 0)', async () => {
    const out = await ok(['api-keys', 'verify', key.secret]);
    assert.match(out, /^Valid: +yes$/m);
    assert.match(out, /^Code: +VALID$/m);
    assert.match(out, new RegExp(`^ID: +${key.id}$`, 'm'));
    assert.ok(!out.includes(key.secret), 'verify does not echo the secret');
    const fromStdin = await okJson(['api-keys', 'verify', '-'], { input: `${key.secret}\n` });
    assert.equal(fromStdin.valid, true);
    assert.equal(fromStdin.code, 'VALID');
    assert.equal(fromStdin.apiKey.id, key.id);
    const other = await okJson(['api-keys', 'create', '--name', 'gone', '--subject', 'user_gone']);
    secrets.push(other.secret);
    await okJson(['api-keys', 'delete', other.id]);
    const missing = await okJson(['api-keys', 'verify', other.secret]);
    assert.equal(missing.valid, false);
    assert.equal(missing.code, 'NOT_FOUND');
  });

  test('revoke with a reason; then verify says REVOKED and the default list leaves it out', async () => {
    const out = await ok(['api-keys', 'revoke', key.id, '--revocation-reason', 'leaked in a log']);
    assert.match(out, /^Status: +revoked$/m);
    assert.match(out, new RegExp(`\\nRevoked API key ${key.id}: .*\\n$`), 'it ends saying what it did');
    assert.match(out, /^Revocation reason: +leaked in a log$/m);
    const verified = await ok(['api-keys', 'verify', key.secret]);
    assert.match(verified, /^Valid: +no$/m);
    assert.match(verified, /^Code: +REVOKED$/m);
    assert.ok(!(await okJson(['api-keys', 'list'])).data.some((k) => k.id === key.id));
    const withInvalid = await ok(['api-keys', 'list', '--include-invalid']);
    assert.ok(withInvalid.split('\n').some((r) => r.startsWith(key.id) && /\brevoked\b/.test(r)));
    const json = await okJson(['api-keys', 'revoke', key.id]);
    assert.equal(json.revoked, true);
  });

  test('delete, then get is a 404', async () => {
    assert.equal(await ok(['api-keys', 'delete', key.id]), `Deleted API key ${key.id}.\n`);
    assert.match(await fails(1, ['api-keys', 'get', key.id]), /request id: /);
    assert.match(await fails(1, ['api-keys', 'delete', key.id, '--json']), /request id: /);
  });
});

// ---------------------------------------------------------------- tokens

describe('tokens', () => {
  let token;

  test('create --json: the token once, the scopes and expiry given', async () => {
    token = await okJson(['tokens', 'create', '--name', 'laptop', '--scope', 'connections:read', '--scopes', 'credentials:read', '--expires-at', '2030-01-01T00:00:00Z']);
    secrets.push(token.token);
    assert.match(token.token, /^cpat_/);
    assert.equal(token.name, 'laptop');
    assert.equal(token.state, 'ACTIVE');
    assert.deepEqual(token.scopes, ['connections:read', 'credentials:read']);
    assert.equal(token.expiresAt, '2030-01-01T00:00:00Z');
  });

  test('create for people: the token once and a note', async () => {
    const out = await ok(['tokens', 'create', '--name', 'ci']);
    const value = /^Token: +(cpat_\S+)$/m.exec(out)?.[1];
    assert.ok(value, out);
    secrets.push(value);
    assert.equal(out.split(value).length, 2);
    assert.match(out, /shown only this once/);
    // The new token works.
    await ok(['tokens', 'list'], { env: { CREDPORT_API_KEY: value } });
  });

  test('list: table and JSON, never the tokens', async () => {
    const out = await ok(['tokens', 'list']);
    const { starts, rows, footer } = assertAligned(out);
    assert.deepEqual(starts.map(([n]) => n), ['ID', 'NAME', 'USER', 'STATE', 'SCOPES', 'EXPIRES', 'LAST USED']);
    assert.ok(rows.some((r) => r.startsWith(token.id) && /\blaptop\b.*\bACTIVE\b/.test(r)));
    assert.match(footer, /^\d+ tokens$/m);
    assertNoSecrets(out, 'tokens list');
    const json = await okJson(['tokens', 'list']);
    assert.ok(json.totalCount >= 3);
    assert.ok(json.data.some((t) => t.id === token.id));
    assertNoSecrets(JSON.stringify(json), 'tokens list --json');
  });

  test('get and revoke; a revoked token is refused (exit 1)', async () => {
    assert.match(await ok(['tokens', 'get', token.id]), /^State: +ACTIVE$/m);
    assert.equal((await okJson(['tokens', 'get', token.id])).id, token.id);
    const out = await ok(['tokens', 'revoke', token.id]);
    assert.match(out, /^State: +REVOKED$/m);
    assert.match(out, new RegExp(`\\nRevoked token ${token.id}: .*\\n$`), 'it ends saying what it did');
    assert.match(out, /^Revoked by: +user-1$/m);
    assertNoSecrets(out, 'tokens revoke');
    assert.equal((await okJson(['tokens', 'get', token.id])).state, 'REVOKED');
    const r = await run(['connections', 'list'], { env: { CREDPORT_API_KEY: token.token } });
    assert.equal(r.code, 1);
    assert.ok(!r.stderr.includes(token.token));
    assert.match(await fails(1, ['tokens', 'get', 'pat_missing']), /request id: /);
  });
});

// ---------------------------------------------------------------- colour

describe('colour', () => {
  const green = '\x1b[32mactive\x1b[0m';
  const red = '\x1b[31minvalid\x1b[0m';
  const yellow = '\x1b[33minactive\x1b[0m';

  test('FORCE_COLOR colours statuses without moving the columns', async () => {
    const out = await ok(['connections', 'list'], { env: { FORCE_COLOR: '1' } });
    assert.ok(out.includes(green) && out.includes(red) && out.includes(yellow), JSON.stringify(out));
    const plain = await ok(['connections', 'list']);
    assert.equal(out.replace(/\x1b\[[0-9;]*m/g, ''), plain);
  });

  test('NO_COLOR and --no-color win over FORCE_COLOR; --json is never coloured', async () => {
    assert.doesNotMatch(await ok(['connections', 'list'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }), ansi);
    assert.doesNotMatch(await ok(['connections', 'list', '--no-color'], { env: { FORCE_COLOR: '1' } }), ansi);
    assert.doesNotMatch(await ok(['connections', 'list', '--json'], { env: { FORCE_COLOR: '1' } }), ansi);
  });

  const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;
  test('on a real terminal: coloured, unless NO_COLOR or --no-color', { skip: !hasScript && 'needs util-linux script' }, async () => {
    const onTty = (args, env = {}) => {
      const quoted = [bin, ...args].map((a) => `'${a}'`).join(' ');
      return run(['-qec', quoted, '/dev/null'], { command: 'script', env });
    };
    const coloured = await onTty(['connections', 'list']);
    assert.equal(coloured.code, 0, coloured.stderr);
    assert.ok(coloured.stdout.includes(green), JSON.stringify(coloured.stdout.slice(0, 300)));
    for (const [args, env] of [[['connections', 'list'], { NO_COLOR: '1' }], [['connections', 'list', '--no-color'], {}]]) {
      const plain = await onTty(args, env);
      assert.equal(plain.code, 0);
      assert.match(plain.stdout, /active/);
      assert.doesNotMatch(plain.stdout, ansi);
    }
  });
});
