// The console's Events and Webhooks tabs in a real browser against the real server: the audit log
// newest first, filtered by type and by target, older events loaded through the cursor, times
// relative with the exact one on hover; webhook endpoints added (the signing secret shown once,
// copied, and gone from the page after), deliveries to a real receiver on loopback, edit, disable
// and enable, delete with a confirmation. Every page fails its test on a page error, a console
// error or a CSP violation; axe-core checks every view (no serious or critical violation).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { connectionBody, startServer } from '../js/harness.mjs';
import { audit, launch, newPage, settled, signIn } from './browser.mjs';

let server, browser, receiver;
const received = [];

before(async () => {
  receiver = http.createServer((req, res) => {
    req.resume().on('end', () => {
      received.push(req.headers['webhook-id']);
      res.end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  server = await startServer({ env: { CREDPORT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

/** A signed-in page on a new site's tab; the site made through the API (not what is tested). */
async function onNewSite(tab, name, fill = async () => {}) {
  const site = await server.admin('POST', '/v1/admin/sites', { name });
  await fill(site);
  const view = await newPage(browser);
  await signIn(view.page, server);
  await view.page.waitForSelector('h1:text("Sites")');
  await view.page.goto(`${server.url}/console?site=${site.id}&tab=${tab}`);
  await settled(view.page);
  return { ...view, site };
}

/** The event types of the rows shown, top to bottom. */
const shownTypes = (page) => page.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.type));

test('events: newest first, filtered by type and target, older ones through the cursor', { timeout: 90_000 }, async () => {
  const made = [];
  const view = await onNewSite('events', 'Audited', async (site) => {
    // 60 connections, one changed and one deleted: 63 events with the site's, more than a page.
    for (let i = 0; i < 60; i += 1) made.push(await server.connection(site.id, connectionBody(`provider${i}`)));
    await server.admin('PATCH', `/v1/admin/sites/${site.id}/connections/${made[0].id}`, { status: 'invalid' });
    await server.admin('DELETE', `/v1/admin/sites/${site.id}/connections/${made[1].id}`);
  });
  try {
    const { page, site } = view;
    const types = await shownTypes(page);
    assert.equal(types.length, 50, 'the first page');
    assert.deepEqual(types.slice(0, 3), ['connection.deleted', 'connection.updated', 'connection.created']);
    const first = page.locator('tbody tr').first();
    assert.match(await first.locator('td[data-label="Actor"]').textContent(), /^admin$/);
    assert.match(await first.locator('td[data-label="Target"]').textContent(), new RegExp(`connection ${made[1].id}`));
    assert.match(await first.locator('td[data-label="When"] time').textContent(), /now|second/);
    assert.match(await first.locator('td[data-label="When"] time').getAttribute('title'), /\d{4}/, 'the exact time is on hover');
    const updated = page.locator('tbody tr').nth(1);
    assert.match(await updated.locator('td[data-label="Details"]').textContent(), /status: active → invalid/);
    assert.match(await updated.locator('td[data-label="Details"]').textContent(), /request req_\w+/);
    await audit(page, 'events');

    // Older events: appended below, the focus on what follows them.
    await page.click('button:text("Load older events")');
    await page.waitForSelector('text=That is the oldest event.');
    await settled(page);
    const all = await shownTypes(page);
    assert.equal(all.length, 63);
    assert.equal(all.at(-1), 'site.created');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'That is the oldest event.');
    const ids = await page.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.eventId));
    assert.equal(new Set(ids).size, 63, 'no event twice');
    const listed = await server.admin('GET', `/v1/admin/sites/${site.id}/events?limit=100`);
    assert.deepEqual(ids, listed.data.map((e) => e.id), 'the server\'s order, newest first');

    // By type, kept in the address.
    await page.fill('input[name=type]', 'connection.deleted');
    await page.click('form.filters button:text("Filter")');
    await settled(page);
    assert.deepEqual(await shownTypes(page), ['connection.deleted']);
    assert.equal(new URL(page.url()).searchParams.get('type'), 'connection.deleted');
    assert.match(await page.textContent('.list'), /That is the oldest event\./);

    // By target: a target's id is a link to its events.
    await page.click('a:text("Clear filters")');
    await settled(page);
    await page.click(`tbody tr[data-type="connection.updated"] a:has-text("${made[0].id}")`);
    await settled(page);
    assert.deepEqual(await shownTypes(page), ['connection.updated', 'connection.created']);
    assert.equal(await page.inputValue('input[name=target]'), made[0].id);

    // Nothing matches: said in words.
    await page.fill('input[name=target]', 'conn_none');
    await page.click('form.filters button:text("Filter")');
    await settled(page);
    assert.match(await page.textContent('.empty'), /No event matches these filters/);
    await audit(page, 'events-none');

    // A filter the SDK refuses (longer than any type): the reason, before any request.
    await page.fill('input[name=target]', '');
    await page.fill('input[name=type]', 'connection.'.repeat(30));
    await page.click('form.filters button:text("Filter")');
    const problem = await page.waitForSelector('.list .error[role=alert]');
    assert.match(await problem.textContent(), /params\.type/);
    await audit(page, 'events-error');
    view.assertClean();
  } finally {
    await view.close();
  }
});

/** What the page holds that could keep a secret: its HTML, its fields, storage, the address. */
async function traces(page) {
  return page.evaluate(() => JSON.stringify({
    html: document.documentElement.outerHTML,
    values: [...document.querySelectorAll('input, textarea')].map((e) => e.value),
    session: { ...sessionStorage },
    local: { ...localStorage },
    url: location.href,
  }));
}

test('webhooks: the secret shown once, deliveries, edit, disable and enable, delete', { timeout: 90_000 }, async () => {
  const view = await onNewSite('webhooks', 'Hooked');
  try {
    const { page, site, context } = view;
    assert.match(await page.textContent('.empty'), /No webhook endpoints yet/);
    await audit(page, 'webhooks-empty');

    // A URL the SDK refuses: said in the dialog, nothing sent.
    await page.click('button:text("Add an endpoint")');
    await page.fill('dialog input[name=url]', 'ftp://hooks.example.com/credport');
    await page.click('dialog button:text("Add endpoint")');
    assert.match(await page.textContent('dialog .error[role=alert]'), /params\.url/);

    const url = `http://127.0.0.1:${receiver.address().port}/hooks`;
    await page.fill('dialog input[name=url]', url);
    await page.fill('dialog input[name=types]', 'connection.*, credentials.read');
    await page.fill('dialog input[name=description]', 'CRM sync');
    await audit(page, 'webhook-form');
    await page.click('dialog button:text("Add endpoint")');
    const shown = await page.waitForSelector('dialog input[aria-label="Signing secret"]');
    const secret = await shown.inputValue();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Signing secret', 'focus is on the secret');
    assert.match(secret, /^whsec_/);
    await audit(page, 'webhook-secret-shown-once');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.click('dialog button:text("Copy")');
    await page.waitForSelector('dialog .copy-status:text("Copied.")');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await page.click('dialog button:text("Done")');
    await page.waitForSelector('dialog', { state: 'detached' });
    const row = page.locator('tbody tr').first();
    await row.waitFor();
    await settled(page);
    assert.equal(await row.getAttribute('data-status'), 'enabled');
    assert.match(await row.textContent(), /CRM sync/);
    assert.match(await row.locator('td[data-label="Events"]').textContent(), /^connection\.\* credentials\.read$/);
    for (const part of [secret, secret.slice('whsec_'.length)]) assert.ok(!(await traces(page)).includes(part), 'the secret is still in the page');
    await audit(page, 'webhooks');
    const endpointId = await row.getAttribute('data-endpoint-id');

    // A change is delivered to the receiver, and listed in the endpoint's deliveries.
    const connection = await server.connection(site.id, connectionBody('shopify'));
    const [event] = (await server.admin('GET', `/v1/admin/sites/${site.id}/events?target_id=${connection.id}`)).data;
    await row.locator('button:text("Deliveries")').click();
    const delivered = page.locator(`dialog tr[data-event-id="${event.id}"][data-status="succeeded"]`);
    const deadline = Date.now() + 20_000;
    while ((await delivered.count()) === 0) {
      assert.ok(Date.now() < deadline, `no succeeded delivery shown: ${server.logs.join('')}`);
      await settled(page);
      await page.click('dialog button:text("Refresh")');
      await settled(page);
    }
    assert.ok(received.includes(event.id));
    assert.match(await delivered.textContent(), /connection\.created/);
    assert.match(await delivered.locator('td[data-label="Answer"]').textContent(), /HTTP 200/);
    await audit(page, 'webhook-deliveries');
    await page.click('dialog button:text("Close")');
    await page.waitForSelector('dialog', { state: 'detached' });

    // Edit: the types and the description.
    await row.locator('button:text("Edit")').click();
    assert.equal(await page.inputValue('dialog input[name=url]'), url);
    await page.fill('dialog input[name=types]', '');
    await page.fill('dialog input[name=description]', 'everything');
    await page.click('dialog button:text("Save")');
    await page.waitForSelector('dialog', { state: 'detached' });
    await page.waitForSelector('tbody tr:has-text("everything")');
    await settled(page);
    assert.equal(await page.textContent('tbody tr td[data-label="Events"]'), 'every event');

    // Disable, then enable again.
    await page.click('tbody tr button:text("Disable")');
    await page.waitForSelector('tbody tr[data-status="disabled"]');
    await settled(page);
    const stored = await server.admin('GET', `/v1/admin/sites/${site.id}/webhook_endpoints/${endpointId}`);
    assert.deepEqual([stored.status, stored.types, stored.description], ['disabled', [], 'everything']);
    await page.click('tbody tr button:text("Enable")');
    await page.waitForSelector('tbody tr[data-status="enabled"]');
    await settled(page);

    // Delete asks first; Cancel keeps it, Delete removes it.
    await page.click('tbody tr button:text("Delete")');
    await audit(page, 'webhook-delete-confirmation');
    await page.click('dialog button:text("Cancel")');
    assert.equal(await page.locator('tbody tr').count(), 1);
    await page.click('tbody tr button:text("Delete")');
    await page.click('dialog button:text("Delete endpoint")');
    await page.waitForSelector('.empty:has-text("No webhook endpoints yet")');
    assert.deepEqual((await server.admin('GET', `/v1/admin/sites/${site.id}/webhook_endpoints`)).data, []);
    view.assertClean();
  } finally {
    await view.close();
  }
});

test('events and webhooks are readable 375 px wide', { timeout: 60_000 }, async () => {
  const site = await server.admin('POST', '/v1/admin/sites', { name: 'Narrow hooks' });
  const connection = await server.connection(site.id, connectionBody('google'));
  await server.admin('PATCH', `/v1/admin/sites/${site.id}/connections/${connection.id}`, { status: 'invalid' });
  await server.admin('POST', `/v1/admin/sites/${site.id}/webhook_endpoints`, {
    url: `http://127.0.0.1:${receiver.address().port}/a/rather/long/path/for/a/narrow/screen`, types: ['connection.*'], description: 'narrow',
  });
  const view = await newPage(browser, { width: 375, height: 812 });
  try {
    const { page } = view;
    await page.goto(`${server.url}/console`);
    await page.fill('input[name=adminToken]', server.adminToken);
    await page.click('button[type=submit]');
    await page.waitForSelector('h1:text("Sites")');
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    for (const tab of ['events', 'webhooks']) {
      await page.goto(`${server.url}/console?site=${site.id}&tab=${tab}`);
      await settled(page);
      assert.equal(await page.locator('tbody tr').count() > 0, true, `${tab}: rows shown`);
      assert.ok((await overflow()) <= 0, `${tab}: the page is ${await overflow()} px wider than the screen`);
      await audit(page, `${tab}-375px`);
    }
    await page.click('tbody tr button:text("Deliveries")');
    await page.waitForSelector('dialog');
    await settled(page);
    const dialogOverflow = await page.evaluate(() => { const d = document.querySelector('dialog'); return d.scrollWidth - d.clientWidth; });
    assert.ok(dialogOverflow <= 0, `the deliveries dialog is ${dialogOverflow} px wider than itself`);
    await audit(page, 'webhook-deliveries-375px');
    view.assertClean();
  } finally {
    await view.close();
  }
});
