// credport/admin's events and webhook endpoints (from the packed tarball) against a real
// credport-server: the audit log listed, filtered and paged by its cursor, listAll over every page,
// webhook endpoints made, changed and deleted with their secret shown once and never again, and the
// deliveries to a real receiver on loopback (one answering 200, one answering 500). Bad input is
// refused before any request, and no error holds the admin token or a signing secret.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { countingFetch, importAdminEsm, importEsm, rejections, startServer } from './harness.mjs';

let admin, sdk, server, client;
const receivers = {};
const errors = []; // every error a call threw, to check that none holds a secret
const secrets = [];

const rejection = rejections(errors);

/** A receiver on loopback answering `status` to every delivery; `received` holds them. */
async function receiver(status) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = status;
      res.end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, received, url: `http://127.0.0.1:${server.address().port}/hooks` };
}

/** Resolves with `check()`'s first truthy answer, asked again after each short pause; fails after 20 s. */
async function eventually(what, check) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < deadline, `${what}: not within 20 s. Server log: ${server.logs.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A connection with an API key, as the admin client takes it. */
const connectionParams = (provider) => ({ provider, providerConfigKey: `${provider}-prod`, credentials: { type: 'api_key', fields: { api_key: `k-${provider}` } } });

const collect = async (iterable) => {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
};

before(async () => {
  admin = await importAdminEsm();
  sdk = await importEsm();
  receivers.ok = await receiver(200);
  receivers.failing = await receiver(500);
  server = await startServer({ env: { CREDPORT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  secrets.push(server.adminToken);
  client = new admin.CredportAdmin({ adminToken: server.adminToken, baseUrl: server.url, maxRetries: 0 });
});

after(async () => {
  await server?.stop();
  for (const { server: r } of Object.values(receivers)) r.close();
});

describe('events', () => {
  let site, siteId, connections, all;
  before(async () => {
    siteId = (await client.sites.create({ name: 'Audited' })).id;
    site = client.site(siteId);
    connections = [];
    for (const provider of ['shopify', 'github', 'stripe', 'slack', 'notion']) connections.push(await site.connections.create(connectionParams(provider)));
    await site.connections.update(connections[0].id, { metadata: { plan: 'pro' } });
    await site.connections.delete(connections[1].id);
    all = (await site.events.list({ limit: 100 })).data;
  });

  test('site.events is one AdminEvents object, exported by name', () => {
    assert.equal(site.events, site.events);
    assert.equal(site.events.constructor, admin.AdminEvents);
    assert.equal(admin.AdminEvents.name, 'AdminEvents');
  });

  test('list: every change, newest first, as camelCase objects', async () => {
    assert.deepEqual(
      all.map((e) => e.type),
      ['connection.deleted', 'connection.updated', ...Array(5).fill('connection.created'), 'site.created'],
    );
    const [deleted] = all;
    assert.match(deleted.id, /^evt_/);
    assert.equal(deleted.siteId, siteId);
    assert.deepEqual(deleted.actor, { type: 'admin', tokenId: null, userId: null }, 'absent values are null');
    assert.deepEqual(deleted.target, { type: 'connection', id: connections[1].id });
    assert.match(deleted.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(all.every((e, i) => i === 0 || e.at <= all[i - 1].at), 'newest first');
    assert.deepEqual(all.slice(2, 7).map((e) => e.target.id).sort(), connections.map((c) => c.id).sort());
    const page = await site.events.list();
    assert.equal(page.nextCursor, null, 'one page holds them all at the default limit of 20');
    assert.deepEqual(page.data, all);
  });

  test('filters: type, targetId, since and until', async () => {
    const created = await site.events.list({ type: 'connection.created' });
    assert.deepEqual(created.data.map((e) => e.id), all.filter((e) => e.type === 'connection.created').map((e) => e.id));
    const one = await site.events.list({ targetId: connections[0].id });
    assert.deepEqual(one.data.map((e) => e.type), ['connection.updated', 'connection.created']);
    assert.match(JSON.stringify(one.data[0].data), /"plan"/, 'data names what changed');
    const future = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    assert.deepEqual(await site.events.list({ since: future }), { data: [], nextCursor: null });
    assert.deepEqual((await site.events.list({ until: future, limit: 100 })).data, all);
    assert.deepEqual((await site.events.list({ type: 'no_such.type' })).data, []);
  });

  test('cursor: pages of 3 follow one another to the oldest, without gaps or repeats', async () => {
    const seen = [];
    let cursor;
    let pages = 0;
    do {
      const page = await site.events.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      assert.ok(page.data.length <= 3);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor;
      pages += 1;
      assert.ok(pages <= 4, 'the cursor ends');
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, all.map((e) => e.id));
  });

  test('a page stays stable while events are added: the cursor is a position, not an offset', async () => {
    const first = await site.events.list({ limit: 4 });
    await site.connections.update(connections[2].id, { metadata: { plan: 'team' } });
    const second = await site.events.list({ limit: 4, cursor: first.nextCursor });
    assert.deepEqual([...first.data, ...second.data].map((e) => e.id), all.map((e) => e.id));
    all = (await site.events.list({ limit: 100 })).data;
    assert.equal(all[0].type, 'connection.updated');
  });

  test('listAll: every event through the pages, with the filters', async () => {
    const counted = countingFetch();
    const paged = new admin.CredportAdmin({ adminToken: server.adminToken, baseUrl: server.url, fetch: counted }).site(siteId);
    const events = await collect(paged.events.listAll({ limit: 2 }));
    assert.deepEqual(events.map((e) => e.id), all.map((e) => e.id));
    assert.ok(counted.calls >= Math.ceil(all.length / 2), `${counted.calls} pages fetched`);
    const created = await collect(site.events.listAll({ type: 'connection.created', limit: 2 }));
    assert.equal(created.length, 5);
    // Ending early fetches nothing more.
    counted.calls = 0;
    for await (const event of paged.events.listAll({ limit: 2 })) {
      assert.equal(event.id, all[0].id);
      break;
    }
    assert.equal(counted.calls, 1);
  });

  test('a missing site is a NotFoundError', async () => {
    const error = await rejection(client.site('site_missing').events.list());
    assert.ok(error instanceof sdk.NotFoundError, error.message);
  });
});

describe('webhook endpoints', () => {
  let site, siteId, endpoint, failing;
  before(async () => {
    siteId = (await client.sites.create({ name: 'Hooked' })).id;
    site = client.site(siteId);
  });

  test('create: the endpoint with its whsec_ secret, this once', async () => {
    endpoint = await site.webhookEndpoints.create({ url: receivers.ok.url, types: ['connection.*'], description: 'CRM sync' });
    secrets.push(endpoint.secret);
    assert.match(endpoint.id, /^we_/);
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(endpoint.url, receivers.ok.url);
    assert.deepEqual(endpoint.types, ['connection.*']);
    assert.equal(endpoint.description, 'CRM sync');
    assert.equal(endpoint.status, 'enabled');
    assert.match(endpoint.createdAt, /^\d{4}-/);
    assert.equal(site.webhookEndpoints.constructor, admin.WebhookEndpoints);
    failing = await site.webhookEndpoints.create({ url: receivers.failing.url });
    secrets.push(failing.secret);
    assert.deepEqual(failing.types, []);
    assert.equal(failing.description, null);
    assert.notEqual(failing.secret, endpoint.secret);
  });

  test('list and get never show the secret; neither does the event of its creation', async () => {
    const list = await site.webhookEndpoints.list();
    assert.equal(list.totalCount, 2);
    const { secret, ...shown } = endpoint;
    assert.deepEqual(list.data.find((e) => e.id === endpoint.id), shown);
    assert.deepEqual(await site.webhookEndpoints.get(endpoint.id), shown);
    const events = await site.events.list({ type: 'webhook_endpoint.created' });
    assert.deepEqual(events.data.map((e) => e.target.id).sort(), [endpoint.id, failing.id].sort());
    const text = JSON.stringify([list, await site.webhookEndpoints.get(failing.id), events]);
    for (const s of [secret, failing.secret, secret.slice('whsec_'.length)]) assert.ok(!text.includes(s));
    assert.ok(!JSON.stringify(list.data).includes('"secret"'));
  });

  test('a change is delivered to the receiver, signed with the secret, and listed in the deliveries', async () => {
    const connection = await site.connections.create(connectionParams('shopify'));
    const delivery = await eventually('a delivery to the receiver', () => receivers.ok.received.find((d) => JSON.parse(d.body).target.id === connection.id));
    const event = sdk.verifyWebhook(endpoint.secret, delivery.headers, delivery.body);
    assert.equal(event.type, 'connection.created');
    assert.equal(event.target.id, connection.id);
    const listed = await eventually('a succeeded delivery', async () => {
      const { data } = await site.webhookEndpoints.deliveries(endpoint.id);
      return data.find((d) => d.eventId === event.id && d.status === 'succeeded');
    });
    assert.match(listed.id, /\S/);
    assert.equal(listed.eventType, 'connection.created');
    assert.equal(listed.attempts, 1);
    assert.equal(listed.lastStatusCode, 200);
    assert.equal(listed.lastError, null);
    assert.equal(listed.nextAttemptAt, null);
    assert.match(listed.lastAttemptAt, /^\d{4}-/);
  });

  test('a receiver answering 500: the delivery is pending, with the status, the error and the next try', async () => {
    const connection = await site.connections.create(connectionParams('stripe'));
    await eventually('an attempt at the failing receiver', () => receivers.failing.received.length > 0);
    const pending = await eventually('a failed attempt recorded', async () => {
      const { data } = await site.webhookEndpoints.deliveries(failing.id);
      return data.find((d) => d.attempts >= 1 && d.status === 'pending');
    });
    assert.equal(pending.lastStatusCode, 500);
    assert.match(pending.lastError, /\S/);
    assert.ok(pending.nextAttemptAt > pending.lastAttemptAt, JSON.stringify(pending));
    const [newest] = (await site.events.list({ targetId: connection.id })).data;
    assert.ok((await site.webhookEndpoints.deliveries(failing.id)).data.some((d) => d.eventId === newest.id));
  });

  test('update: url, types, description and status; absent fields stay', async () => {
    const disabled = await site.webhookEndpoints.update(failing.id, { status: 'disabled' });
    assert.equal(disabled.status, 'disabled');
    assert.equal(disabled.url, receivers.failing.url);
    const changed = await site.webhookEndpoints.update(endpoint.id, { types: ['credentials.read', 'api_key.*'], description: 'audit' });
    assert.deepEqual(changed.types, ['credentials.read', 'api_key.*']);
    assert.equal(changed.description, 'audit');
    assert.equal(changed.status, 'enabled');
    assert.equal(changed.url, receivers.ok.url);
    assert.ok(!('secret' in changed));
    assert.deepEqual(await site.webhookEndpoints.get(endpoint.id), changed);
    assert.equal((await site.webhookEndpoints.update(failing.id, { status: 'enabled' })).status, 'enabled');
    const updates = await site.events.list({ type: 'webhook_endpoint.updated', targetId: failing.id });
    assert.equal(updates.data.length, 2);
  });

  test('a url the server refuses is a BadRequestError naming url', async () => {
    const strictServer = await startServer();
    try {
      const strict = new admin.CredportAdmin({ adminToken: strictServer.adminToken, baseUrl: strictServer.url, maxRetries: 0 });
      const other = strict.site((await strict.sites.create({ name: 'Strict' })).id);
      const error = await rejection(other.webhookEndpoints.create({ url: 'https://127.0.0.1/hooks' }));
      assert.ok(error instanceof sdk.BadRequestError, error.message);
      assert.equal(error.details?.field, 'url');
    } finally {
      await strictServer.stop();
    }
  });

  test('delete: gone from get, list and deliveries; another site cannot see it', async () => {
    const other = client.site((await client.sites.create({ name: 'Not hooked' })).id);
    assert.ok((await rejection(other.webhookEndpoints.get(endpoint.id))) instanceof sdk.NotFoundError);
    assert.equal(await site.webhookEndpoints.delete(failing.id), undefined);
    for (const call of [() => site.webhookEndpoints.get(failing.id), () => site.webhookEndpoints.deliveries(failing.id), () => site.webhookEndpoints.delete(failing.id)]) {
      const error = await rejection(call());
      assert.ok(error instanceof sdk.NotFoundError, error.message);
    }
    assert.deepEqual((await site.webhookEndpoints.list()).data.map((e) => e.id), [endpoint.id]);
    assert.equal((await site.events.list({ type: 'webhook_endpoint.deleted' })).data[0].target.id, failing.id);
  });
});

test('bad input is refused before any request, naming the argument', async () => {
  const counted = countingFetch();
  const strict = new admin.CredportAdmin({ adminToken: server.adminToken, baseUrl: server.url, fetch: counted }).site('site_any');
  for (const [call, argument] of [
    [() => strict.events.list('connection.created'), 'params'],
    [() => strict.events.list({ limit: 0 }), 'params.limit'],
    [() => strict.events.list({ limit: 101 }), 'params.limit'],
    [() => strict.events.list({ limit: '5' }), 'params.limit'],
    [() => strict.events.list({ cursor: 'not a cursor!' }), 'params.cursor'],
    [() => strict.events.list({ cursor: '' }), 'params.cursor'],
    [() => strict.events.list({ since: 'yesterday' }), 'params.since'],
    [() => strict.events.list({ until: 1700000000 }), 'params.until'],
    [() => strict.events.list({ targetId: 5 }), 'params.targetId'],
    [() => strict.events.list({ target_id: 'conn_1' }), 'params.target_id'],
    [() => strict.events.list({}, { timeout: 5 }), 'options.timeout'],
    [() => strict.webhookEndpoints.create(), 'params'],
    [() => strict.webhookEndpoints.create({}), 'params.url'],
    [() => strict.webhookEndpoints.create({ url: 'ftp://hooks.example.com' }), 'params.url'],
    [() => strict.webhookEndpoints.create({ url: 'https://' }), 'params.url'],
    [() => strict.webhookEndpoints.create({ url: 'https://hooks.example.com/a b' }), 'params.url'],
    [() => strict.webhookEndpoints.create({ url: 'https://hooks.example.com', types: 'connection.*' }), 'params.types'],
    [() => strict.webhookEndpoints.create({ url: 'https://hooks.example.com', types: ['Connection Created'] }), 'params.types[0]'],
    [() => strict.webhookEndpoints.create({ url: 'https://hooks.example.com', types: ['connection.*', 'conection.*'] }), 'params.types[1]'],
    [() => strict.webhookEndpoints.create({ url: 'https://hooks.example.com', description: 7 }), 'params.description'],
    [() => strict.webhookEndpoints.create({ url: 'https://hooks.example.com', secret: 'whsec_mine' }), 'params.secret'],
    [() => strict.webhookEndpoints.update('we_1'), 'params'],
    [() => strict.webhookEndpoints.update('we_1', { status: 'paused' }), 'params.status'],
    [() => strict.webhookEndpoints.update('we_1', { url: 'hooks.example.com' }), 'params.url'],
    [() => strict.webhookEndpoints.update(7, {}), 'id'],
    [() => strict.webhookEndpoints.get(5), 'id'],
    [() => strict.webhookEndpoints.get(' '), 'id'],
    [() => strict.webhookEndpoints.delete(null), 'id'],
    [() => strict.webhookEndpoints.deliveries(undefined), 'id'],
    [() => strict.webhookEndpoints.deliveries('we_1', { limit: 5 }), 'options.limit'],
    [() => strict.webhookEndpoints.list({ url: 'x' }), 'options.url'],
  ]) {
    const error = await rejection(call());
    assert.ok(error instanceof sdk.InvalidArgumentError, `${argument}: ${error.message}`);
    assert.equal(error.argument, argument, error.message);
  }
  assert.throws(() => strict.events.listAll({ limit: -1 }), (e) => e instanceof sdk.InvalidArgumentError && e.argument === 'params.limit');
  assert.equal(counted.calls, 0);
});

test('no error message, string or JSON holds the admin token or a signing secret', () => {
  assert.ok(errors.length > 30, `only ${errors.length} errors seen`);
  assert.ok(secrets.length >= 3);
  for (const error of errors) {
    const text = `${error.message} ${error} ${JSON.stringify(error)} ${error.stack}`;
    for (const secret of secrets) assert.ok(!text.includes(secret), `${error.name} holds a secret: ${error.message}`);
  }
});
