// examples/webhook-receiver, run as its README says: next to the installed package, with the
// endpoint's secret, receiving a real credport-server's deliveries. Each event it is sent is
// handled once (a delivery sent again is answered and not handled twice), and what is not from
// the server is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Webhook } from 'standardwebhooks';
import { connectionBody, root, startServer, testProject } from './harness.mjs';

let server, receiver, receiverUrl, site, secret;
const output = [];

const waiting = new Set();

/** Keeps a line the receiver printed (stdout or stderr) and asks each waiting check again. */
function printed(line) {
  output.push(line);
  for (const wait of waiting) wait();
}

/** Resolves once `check()` is truthy, asked now and after each line the receiver prints; fails after 20 s. */
function whenPrinted(what, check) {
  return new Promise((resolve, reject) => {
    const done = () => {
      waiting.delete(wait);
      clearTimeout(timer);
    };
    const wait = () => {
      if (check()) {
        done();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: not within 20 s. Receiver: ${output.join('\n')}\nServer: ${server.logs.join('')}`));
    }, 20_000);
    waiting.add(wait);
    wait();
  });
}

const count = (line) => output.filter((l) => l === line).length;

before(async () => {
  server = await startServer({ env: { CREDPORT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  site = await server.site({ name: 'Receiver site' });
  const dir = fs.mkdtempSync(path.join(testProject(), 'webhook-receiver-'));
  fs.copyFileSync(path.join(root, 'examples/webhook-receiver/receiver.mjs'), path.join(dir, 'receiver.mjs'));
  // The receiver needs the endpoint's secret to start, and the endpoint the port the receiver
  // takes (any free one): the endpoint is made first, and given the receiver's address after.
  // Nothing happens in the site in between.
  const endpoint = await server.admin('POST', `/v1/admin/sites/${site.site.id}/webhook_endpoints`, {
    url: 'http://127.0.0.1:9/placeholder',
    types: ['connection.*', 'credentials.read'],
  });
  secret = endpoint.secret;
  receiver = spawn(process.execPath, ['receiver.mjs'], {
    cwd: dir,
    env: { ...process.env, CREDPORT_WEBHOOK_SECRET: secret, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [receiver.stdout, receiver.stderr]) createInterface({ input: stream }).on('line', printed);
  const listening = () => output.find((l) => l.startsWith('receiving credport webhooks on '));
  await whenPrinted('the receiver listening', listening);
  const port = /:(\d+)\/$/.exec(listening())[1];
  receiverUrl = `http://127.0.0.1:${port}/`;
  await server.admin('PATCH', `/v1/admin/sites/${site.site.id}/webhook_endpoints/${endpoint.id}`, { url: receiverUrl });
});

after(async () => {
  if (receiver?.exitCode === null) {
    const exited = new Promise((resolve) => receiver.once('exit', resolve));
    receiver.kill();
    await exited;
  }
  await server?.stop();
});

test('the receiver handles each event of the site once, and refuses what is not signed by the server', { timeout: 60_000 }, async () => {
  const connection = await server.connection(site.site.id, connectionBody('shopify'));
  const readCredentials = async () => {
    const read = await fetch(`${server.url}/v1/connections/credentials/shopify`, { headers: { authorization: `Bearer ${site.token}` } });
    assert.equal(read.status, 200);
  };
  await readCredentials();
  const created = `connection.created connection ${connection.id}`;
  const readLine = `credentials of ${connection.id} read by token ${site.tokenId}`;
  await whenPrinted('both events handled', () => count(created) === 1 && count(readLine) === 1);

  // The same event delivered again (as a retry would), correctly signed: answered, not handled again.
  const { data: [event] } = await server.admin('GET', `/v1/admin/sites/${site.site.id}/events?type=connection.created`);
  assert.equal(event.target.id, connection.id);
  const body = JSON.stringify(event);
  const at = new Date();
  const headers = {
    'content-type': 'application/json',
    'webhook-id': event.id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(event.id, at, body),
  };
  const again = await fetch(receiverUrl, { method: 'POST', headers, body });
  assert.equal(again.status, 204);

  // A changed body is refused, with the reason in the receiver's log.
  const forged = await fetch(receiverUrl, { method: 'POST', headers, body: body.replace('connection.created', 'connection.deleted') });
  assert.equal(forged.status, 400);
  await whenPrinted('the refusal logged', () => output.some((l) => l.startsWith('refused a delivery: ')));
  assert.equal((await fetch(receiverUrl)).status, 405);

  // A line the receiver prints for the event sent again would come before the one it prints for
  // a read made after: once that one is here, so would the other be.
  await readCredentials();
  await whenPrinted('the second read handled', () => count(readLine) === 2);
  assert.equal(count(created), 1, output.join('\n'));
  assert.ok(!output.some((l) => l.includes(secret)), 'the receiver prints no secret');
});
