// Webhook deliveries checked by a site's own receiver: a real credport-server posts an event to a
// node:http receiver on loopback, and both the reference `standardwebhooks` package and the SDK's
// `verifyWebhook` (ESM and CJS) accept it; a changed body, an old timestamp, a wrong secret or a
// missing header are refused with WebhookVerificationError, and bad arguments with
// InvalidArgumentError before anything is checked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { importAdminEsm, importEsm, requireCjs, startServer, connectionBody } from './harness.mjs';

let esm, cjs, server, receiver, secret, delivery, connection;
const received = [];

before(async () => {
  esm = await importEsm();
  cjs = requireCjs();
  receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  server = await startServer({ env: { CREDPORT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  const { site } = await server.site();
  const { CredportAdmin } = await importAdminEsm();
  const admin = new CredportAdmin({ adminToken: server.adminToken, baseUrl: server.url });
  const endpoint = await admin.site(site.id).webhookEndpoints.create({
    url: `http://127.0.0.1:${receiver.address().port}/hooks/credport`,
    types: ['connection.created'],
  });
  secret = endpoint.secret;
  connection = await server.connection(site.id, connectionBody('shopify'));
  const deadline = Date.now() + 20_000;
  while (received.length === 0) {
    assert.ok(Date.now() < deadline, `no delivery: ${server.logs.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  delivery = received[0];
});

after(async () => {
  await server?.stop();
  receiver?.close();
});

test('the reference standardwebhooks package accepts the delivery', () => {
  const payload = new Webhook(secret).verify(delivery.body.toString('utf8'), delivery.headers);
  assert.equal(payload.type, 'connection.created');
  assert.equal(payload.target.id, connection.id);
  assert.equal(payload.id, delivery.headers['webhook-id']);
});

test('verifyWebhook accepts it from Node headers or fetch Headers, as a string or bytes, ESM and CJS', () => {
  // A plain object's names in any case, as the reference package reads them: `Webhook-Id`.
  const capitalized = Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name.replace(/\b\w/g, (c) => c.toUpperCase()), value]));
  assert.ok('Webhook-Id' in capitalized);
  assert.equal(new Webhook(secret).verify(delivery.body.toString('utf8'), capitalized).type, 'connection.created');
  for (const sdk of [esm, cjs]) {
    for (const body of [delivery.body.toString('utf8'), delivery.body, new Uint8Array(delivery.body).buffer]) {
      for (const headers of [delivery.headers, new Headers(delivery.headers), capitalized]) {
        const event = sdk.verifyWebhook(secret, headers, body);
        assert.equal(event.type, 'connection.created');
        assert.equal(event.target.id, connection.id);
        assert.equal(event.siteId, JSON.parse(delivery.body).site_id);
        assert.deepEqual(event.actor, { type: 'admin', tokenId: null, userId: null });
      }
    }
  }
  assert.equal(esm.verifyWebhook, cjs.verifyWebhook);
});

/** Headers signed with `key` (base64) at `timestamp`, as credport-server signs them. */
function sign(key, id, timestamp, body) {
  const mac = crypto.createHmac('sha256', Buffer.from(key, 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${mac}` };
}

test('a changed body, an old or future timestamp, a wrong secret, a missing header are refused', () => {
  const body = delivery.body.toString('utf8');
  const key = secret.slice('whsec_'.length);
  // Whole seconds, while the SDK compares with the fractional now and allows 300 s either way: 400
  // and 200 s stay outside and inside the window however many second boundaries pass meanwhile.
  const now = Math.floor(Date.now() / 1000);
  const otherSecret = `whsec_${crypto.randomBytes(32).toString('base64')}`;
  const refused = [
    [secret, delivery.headers, body.replace('connection.created', 'connection.deleted')],
    [secret, sign(key, 'evt_x', now - 400, body), body],
    [secret, sign(key, 'evt_x', now + 400, body), body],
    [otherSecret, delivery.headers, body],
    [secret, { ...delivery.headers, 'webhook-signature': 'v1,AAAA' }, body],
    [secret, { ...delivery.headers, 'webhook-signature': undefined }, body],
    [secret, { ...delivery.headers, 'webhook-id': 'evt_other' }, body],
  ];
  for (const [s, headers, b] of refused) {
    assert.throws(
      () => esm.verifyWebhook(s, headers, b),
      (e) => e instanceof esm.WebhookVerificationError && e instanceof esm.CredportError && e.code === 'webhook_verification_failed',
    );
  }
  // A signature made now with the right key is accepted, among others (a key being rotated).
  const fresh = sign(key, 'evt_y', now, body);
  fresh['webhook-signature'] = `v1,AAAA ${fresh['webhook-signature']}`;
  assert.equal(esm.verifyWebhook(secret, fresh, body).type, 'connection.created');
  // Timestamps inside the five minutes, either way, are accepted too.
  for (const timestamp of [now - 200, now + 200]) {
    assert.equal(esm.verifyWebhook(secret, sign(key, 'evt_z', timestamp, body), body).type, 'connection.created', `a timestamp ${timestamp - now} s from now`);
  }
});

test('bad arguments are InvalidArgumentError', () => {
  const body = delivery.body.toString('utf8');
  for (const [args, argument] of [
    [[42, delivery.headers, body], 'secret'],
    [['', delivery.headers, body], 'secret'],
    [['whsec_not base64!', delivery.headers, body], 'secret'],
    // An empty or short key would let anyone sign: Standard Webhooks keys are 24 to 64 bytes.
    [['whsec_', delivery.headers, body], 'secret'],
    [[`whsec_${Buffer.alloc(23).toString('base64')}`, delivery.headers, body], 'secret'],
    [[secret, 'webhook-id: x', body], 'headers'],
    [[secret, delivery.headers, JSON.parse(body)], 'body'],
    [[secret, delivery.headers, undefined], 'body'],
  ]) {
    assert.throws(() => esm.verifyWebhook(...args), (e) => e instanceof esm.InvalidArgumentError && e.argument === argument);
  }
});
