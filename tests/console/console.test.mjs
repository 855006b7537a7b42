// The console in a real browser against the real server (its build embeds console/dist/): sign
// in, sites, provider configurations, a connect end to end through a stand-in provider (and the
// demo's own stand-in's consent page), refresh,
// typed credentials, edit, delete, tokens (shown once, then gone), API keys, a refused token,
// keyboard use and a 375 px screen. Every page fails its test on a page error, a console error
// or a CSP violation; axe-core checks every view (no serious or critical violation).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../js/harness.mjs';
import { startProvider } from './provider.mjs';
import { audit, launch, newPage, settled, signIn } from './browser.mjs';

let server, provider, browser;

before(async () => {
  server = await startServer();
  provider = await startProvider();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await provider?.close();
});


/** What the browser keeps for the console's origin, and where it is. */
async function traces(page) {
  return page.evaluate(() => ({
    session: Object.fromEntries(Object.entries(sessionStorage)),
    local: Object.fromEntries(Object.entries(localStorage)),
    cookie: document.cookie,
    url: location.href,
    html: document.documentElement.outerHTML,
    values: [...document.querySelectorAll('input, textarea')].map((e) => e.value),
  }));
}

test('the console answers with its policy and works under it', async () => {
  const res = await fetch(`${server.url}/console`);
  assert.equal(res.status, 200, 'the server under test was built with the console (npm run build, then cargo build)');
  const policy = res.headers.get('content-security-policy');
  assert.match(policy, /default-src 'self'/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.doesNotMatch(policy, /unsafe-inline|'unsafe-eval'/);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
});

test('a wrong admin token is refused in words and nothing is kept', async () => {
  const view = await newPage(browser);
  try {
    const { page } = view;
    await page.goto(`${server.url}/console`);
    await page.waitForSelector('input[name=adminToken]');
    await audit(page, 'sign-in');
    const wrong = `admin_wrong_${'x'.repeat(24)}`;
    await page.fill('input[name=adminToken]', wrong);
    view.allowHttpError(401, '/v1/admin/sites');
    await page.click('button[type=submit]');
    const alert = await page.waitForSelector('.error[role=alert]');
    assert.match(await alert.textContent(), /valid bearer token is required.*\(request req_\w+\)/);
    const kept = await traces(page);
    assert.deepEqual([kept.session, kept.local, kept.cookie], [{}, {}, '']);
    assert.equal(kept.url, `${server.url}/console`);
    assert.ok(!kept.html.includes(wrong) && !kept.values.includes(wrong), 'the refused token is still in the page');
    assert.equal(await page.evaluate(() => document.activeElement?.name), 'adminToken', 'focus goes back to the field');
    await audit(page, 'sign-in-refused');
    view.assertClean();
  } finally {
    await view.close();
  }
});

test('sign in, create a site, configure a provider, connect it end to end, refresh it', { timeout: 120_000 }, async () => {
  const view = await newPage(browser);
  try {
    const { page } = view;
    await signIn(page, server);
    await page.waitForSelector('h1:text("Sites")');
    await settled(page);
    assert.deepEqual(await traces(page).then((t) => [t.local, t.cookie, t.url.includes(server.adminToken)]), [{}, '', false]);
    await audit(page, 'sites');

    // A site: created from the list, which then shows it.
    await page.fill('input[name=name]', 'Acme Inc');
    await page.click('button:text("Create site")');
    await page.waitForSelector('h1:has-text("Acme Inc")');
    await settled(page);
    const siteId = new URL(page.url()).searchParams.get('site');
    assert.match(siteId, /^site_/);
    assert.match(await page.textContent('.empty'), /No connections yet/);
    await audit(page, 'connections-empty');

    // Connecting without a configuration that can: said, with where to go.
    await page.click('button:text("Connect a provider")');
    assert.match(await page.textContent('.error[role=alert]'), /No provider configuration has an authorization URL/);

    // A provider configuration for the stand-in provider.
    await page.click('nav.tabs a:text("Provider configurations")');
    await settled(page);
    assert.match(await page.textContent('.empty'), /No provider configurations yet.*redirect URI/);
    await page.click('button:text("Add a provider configuration")');
    await page.fill('dialog input[name=key]', 'standin-prod');
    await page.fill('dialog input[name=provider]', 'standin');
    await page.fill('dialog input[name=authorizationUrl]', provider.authorizationUrl);
    await page.fill('dialog input[name=tokenUrl]', provider.tokenUrl);
    await page.fill('dialog input[name=clientId]', provider.clientId);
    await page.fill('dialog input[name=clientSecret]', provider.clientSecret);
    await page.fill('dialog input[name=scopes]', 'profile read');
    await audit(page, 'provider-config-form');
    await page.click('dialog button:text("Add configuration")');
    await page.waitForSelector('tr[data-key="standin-prod"]');
    await settled(page);
    // The secret is write-only: not in the page.
    assert.ok(!(await traces(page)).html.includes(provider.clientSecret));
    // The redirect URI to register is the server's answer (CREDPORT_PUBLIC_URL's callback).
    assert.equal(await page.inputValue('input[aria-label="Redirect URI"]'), `${server.url}/oauth/callback`);
    await audit(page, 'provider-configs');
    // An authorization URL cleared in an edit is said to stay, not silently kept.
    await page.click('tr[data-key="standin-prod"] button:text("Edit")');
    await page.fill('dialog input[name=authorizationUrl]', '');
    await page.click('dialog button:text("Save")');
    assert.match(await page.textContent('dialog .error[role=alert]'), /Authorization URL: it can be changed, not removed/);
    await page.click('dialog button:text("Cancel")');
    await page.waitForSelector('dialog', { state: 'detached' });

    // Connect: the browser goes to the provider, the person approves, and comes back.
    await page.click('nav.tabs a:text("Connections")');
    await settled(page);
    await page.click('button:text("Connect a provider")');
    await page.click('dialog button:text("Continue to the provider")');
    await page.waitForURL(/\/authorize\?/);
    await page.click('button:text("Approve")');
    await page.waitForURL((url) => url.pathname === '/console');
    const banner = await page.waitForSelector('.banner.success');
    assert.match(await banner.textContent(), /Connected: the connection conn_\w+ is active\./);
    await settled(page);
    // The return's parameters are gone from the address; the view stays.
    assert.deepEqual([...new URL(page.url()).searchParams.keys()].sort(), ['site', 'tab']);
    const row = page.locator('tr[data-provider="standin"]');
    assert.equal(await row.getAttribute('data-status'), 'active');
    assert.match(await row.textContent(), /standin-prod/);
    assert.match(await row.textContent(), /expires in 1 hour/);
    assert.equal(provider.issued.authorization, 1);
    await audit(page, 'connections');

    // Refresh now: a call to the token endpoint, and a last refresh shown.
    await row.locator('button:text("Refresh now")').click();
    await page.waitForFunction(() => /now|second/.test(document.querySelector('tr[data-provider="standin"] td[data-label="Last refresh"]')?.textContent ?? ''));
    await settled(page);
    assert.equal(provider.issued.refresh, 1);
    const exact = await page.getAttribute('tr[data-provider="standin"] td[data-label="Last refresh"] time', 'title');
    assert.match(exact, /\d{4}/, 'the exact time is on hover');

    // Filters: by status (nothing invalid), then by provider.
    await page.selectOption('select[name=status]', 'invalid');
    await page.click('form.filters button:text("Filter")');
    await settled(page);
    assert.match(await page.textContent('.empty'), /No connection matches these filters/);
    assert.equal(new URL(page.url()).searchParams.get('status'), 'invalid');
    await page.click('a:text("Clear filters")');
    await settled(page);
    await page.fill('input[name=provider]', 'standin');
    await page.click('form.filters button:text("Filter")');
    await settled(page);
    assert.equal(await page.locator('tbody tr').count(), 1);

    // An invalid connection is re-authorized through the provider: the same connection, active.
    const connectionId = await row.getAttribute('data-connection-id');
    await server.admin('PATCH', `/v1/admin/sites/${siteId}/connections/${connectionId}`, { status: 'invalid' });
    await page.reload();
    await settled(page);
    await page.click(`tr[data-connection-id="${connectionId}"] button:text("Re-authorize")`);
    await page.waitForURL(/\/authorize\?/);
    await page.click('button:text("Approve")');
    await page.waitForSelector('.banner.success');
    await settled(page);
    assert.match(await page.textContent('.banner.success'), new RegExp(`the connection ${connectionId} is active`));
    assert.equal(await page.getAttribute(`tr[data-connection-id="${connectionId}"]`, 'data-status'), 'active');
    assert.equal(provider.issued.authorization, 2);

    // A return address's own `error` text is not shown: only the session's record is.
    const pending = await server.admin('POST', `/v1/admin/sites/${siteId}/connect_sessions`, { provider_config_key: 'standin-prod' });
    await page.goto(`${server.url}/console?site=${siteId}&tab=connections&connect_session=${pending.id}&result=error&error=Sign+in+again+at+evil.example`);
    const failed = await page.waitForSelector('.banner.failure');
    assert.equal(await failed.textContent(), 'The connect did not succeed: pending.');
    await settled(page);
    view.assertClean();
  } finally {
    await view.close();
  }
});

/** A signed-in page on a new site's tab; the site made through the API (not what is tested). */
async function onNewSite(tab, name) {
  const site = await server.admin('POST', '/v1/admin/sites', { name });
  const view = await newPage(browser);
  await signIn(view.page, server);
  await view.page.waitForSelector('h1:text("Sites")');
  await view.page.goto(`${server.url}/console?site=${site.id}&tab=${tab}`);
  await settled(view.page);
  return { ...view, site };
}

test('connect: the button stays busy while the browser leaves, and a failure keeps focus on it', { timeout: 60_000 }, async () => {
  const view = await onNewSite('connections', 'Connect once');
  try {
    const { page, site } = view;
    await server.admin('POST', `/v1/admin/sites/${site.id}/provider_configs`, {
      key: 'standin-once', provider: 'standin', token_url: provider.tokenUrl, authorization_url: provider.authorizationUrl,
      client_id: provider.clientId, client_secret: provider.clientSecret,
    });
    await page.reload();
    await settled(page);
    // The configuration goes away before the person continues: the connect fails, in words.
    await page.click('button:text("Connect a provider")');
    await server.admin('DELETE', `/v1/admin/sites/${site.id}/provider_configs/standin-once`);
    view.allowHttpError(404, `/v1/admin/sites/${site.id}/connect_sessions`);
    await page.click('dialog button:text("Continue to the provider")');
    await page.waitForSelector('dialog .error[role=alert]');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Continue to the provider');
    await page.click('dialog button:text("Cancel")');

    // Made again; the link answers 204, which a browser does not navigate to: the page stays
    // as it was when the browser left it.
    await server.admin('POST', `/v1/admin/sites/${site.id}/provider_configs`, {
      key: 'standin-once', provider: 'standin', token_url: provider.tokenUrl, authorization_url: provider.authorizationUrl,
      client_id: provider.clientId, client_secret: provider.clientSecret,
    });
    let opened;
    const leaving = new Promise((resolve) => { opened = resolve; });
    await page.route('**/oauth/connect/**', (route) => {
      opened();
      return route.fulfill({ status: 204 });
    });
    const creates = [];
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/connect_sessions')) creates.push(r.url()); });
    await page.reload();
    await settled(page);
    await page.click('button:text("Connect a provider")');
    await page.click('dialog button:text("Continue to the provider")');
    await leaving;
    const button = page.locator('dialog button[aria-busy=true]');
    assert.equal(await button.textContent(), 'Opening the provider…');
    assert.ok(await button.isDisabled(), 'a second click would make a second session');
    assert.equal(creates.length, 1);
  } finally {
    await view.close();
  }
});

test('connections with typed credentials: add, edit, delete with a confirmation', { timeout: 60_000 }, async () => {
  const view = await onNewSite('connections', 'Typed');
  try {
    const { page, site } = view;
    await page.click('button:text("Add with credentials")');
    await page.fill('dialog input[name=provider]', 'shopify');
    await page.fill('dialog input[name=providerConfigKey]', 'shopify-prod');
    await page.fill('dialog input[name=api_key]', 'shpat_secret_value_1234');
    await page.fill('dialog input[name=rootResourceName]', 'Acme shop');
    await audit(page, 'add-connection-form');
    // A mistake is said next to the field, and nothing is sent.
    await page.fill('dialog textarea[name=metadata]', '{"not json"');
    await page.click('dialog button:text("Add connection")');
    assert.match(await page.textContent('dialog .error'), /Metadata: not JSON/);
    await page.fill('dialog textarea[name=metadata]', '{"tenantId": "t-1"}');
    await page.click('dialog button:text("Add connection")');
    await page.waitForSelector('tr[data-provider="shopify"]');
    await settled(page);
    assert.ok(!(await traces(page)).html.includes('shpat_secret_value_1234'));
    // The stored credentials are the typed ones.
    const pat = await server.admin('POST', `/v1/admin/sites/${site.id}/personal_access_tokens`, { user_id: 'reader', name: 'read' });
    const credentials = await fetch(`${server.url}/v1/connections/credentials/shopify`, { headers: { authorization: `Bearer ${pat.token}` } }).then((r) => r.json());
    assert.deepEqual([credentials.type, credentials.fields], ['api_key', { api_key: 'shpat_secret_value_1234' }]);

    // basic, then custom (a JSON object of fields).
    await page.click('button:text("Add with credentials")');
    await page.fill('dialog input[name=provider]', 'legacy');
    await page.fill('dialog input[name=providerConfigKey]', 'legacy-prod');
    await page.selectOption('dialog select[name=type]', 'basic');
    await page.fill('dialog input[name=username]', 'robot');
    await page.fill('dialog input[name=password]', 'hunter2-but-longer');
    await page.click('dialog button:text("Add connection")');
    await page.waitForSelector('tr[data-provider="legacy"]');
    await page.click('button:text("Add with credentials")');
    await page.fill('dialog input[name=provider]', 'konigle_pay');
    await page.fill('dialog input[name=providerConfigKey]', 'konigle-prod');
    await page.selectOption('dialog select[name=type]', 'custom');
    await page.fill('dialog textarea[name=fields]', '{"merchant_id": "m-1", "secret": "s-1"}');
    await page.click('dialog button:text("Add connection")');
    await page.waitForSelector('tr[data-provider="konigle_pay"]');
    await settled(page);

    // Edit: an account name cleared is said to stay (the API changes it, never removes it),
    // rather than a save that reports success and keeps it; then the status becomes inactive.
    await page.locator('tr[data-provider="shopify"] button:text("Edit")').click();
    await page.fill('dialog input[name=rootResourceName]', '');
    await page.click('dialog button:text("Save")');
    assert.match(await page.textContent('dialog .error[role=alert]'), /Account name: it can be changed, not removed/);
    await page.fill('dialog input[name=rootResourceName]', 'Acme shop');
    await page.selectOption('dialog select[name=status]', 'inactive');
    await audit(page, 'edit-connection-form');
    await page.click('dialog button:text("Save")');
    await page.waitForSelector('tr[data-provider="shopify"][data-status="inactive"]');
    await settled(page);

    // Delete asks first; Cancel keeps it, Delete removes it.
    await page.locator('tr[data-provider="legacy"] button:text("Delete")').click();
    await page.click('dialog button:text("Cancel")');
    assert.equal(await page.locator('tr[data-provider="legacy"]').count(), 1);
    await page.locator('tr[data-provider="legacy"] button:text("Delete")').click();
    await audit(page, 'delete-confirmation');
    await page.click('dialog button:text("Delete connection")');
    await page.waitForSelector('tr[data-provider="legacy"]', { state: 'detached' });
    await settled(page);
    assert.equal(await page.locator('tbody tr').count(), 2);
    view.assertClean();
  } finally {
    await view.close();
  }
});

test('a token is shown once, leaves no trace, and is revoked', { timeout: 60_000 }, async () => {
  const view = await onNewSite('tokens', 'Tokens');
  try {
    const { page, site } = view;
    assert.match(await page.textContent('.empty'), /No tokens yet.*“Create a token”/);
    await audit(page, 'tokens-empty');
    await page.click('button:text("Create a token")');
    await page.fill('dialog input[name=userId]', 'alice');
    await page.fill('dialog input[name=name]', 'billing backend');
    await page.uncheck('dialog input[value="tokens:write"]');
    await page.click('dialog button:text("Create token")');
    const shown = await page.waitForSelector('dialog input[aria-label="New token"]');
    const token = await shown.inputValue();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'New token', 'focus is on the token');
    assert.match(token, /^cpat_/);
    await audit(page, 'token-shown-once');
    await page.click('dialog button:text("Done")');
    await page.waitForSelector('dialog', { state: 'detached' });
    await page.waitForSelector('tr[data-state="ACTIVE"]');
    await settled(page);
    const kept = await traces(page);
    assert.ok(!kept.html.includes(token) && !kept.values.includes(token), 'the token is still in the page');
    assert.ok(!JSON.stringify([kept.session, kept.local, kept.cookie, kept.url]).includes(token), 'the token was kept');
    await audit(page, 'tokens');

    // It works, with the scopes chosen; revoked from the list, it stops working.
    const call = () => fetch(`${server.url}/v1/connections`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await call()).status, 200);
    const listed = await server.admin('GET', `/v1/admin/sites/${site.id}/personal_access_tokens?user_id=alice`);
    assert.deepEqual(listed.data[0].scopes, ['connections:read', 'credentials:read', 'api_keys:read', 'api_keys:write']);
    await page.click('tr[data-state="ACTIVE"] button:text("Revoke")');
    await page.click('dialog button:text("Revoke token")');
    await page.waitForSelector('tr[data-state="REVOKED"]');
    assert.equal((await call()).status, 401);
    view.assertClean();
  } finally {
    await view.close();
  }
});

test('API keys: listed with their state, revoked with a reason', { timeout: 60_000 }, async () => {
  const site = await server.admin('POST', '/v1/admin/sites', { name: 'Keys' });
  const pat = await server.admin('POST', `/v1/admin/sites/${site.id}/personal_access_tokens`, { user_id: 'ops', name: 'ops' });
  const create = (body) => fetch(`${server.url}/v1/api_keys`, { method: 'POST', headers: { authorization: `Bearer ${pat.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
  const alice = await create({ name: 'alice key', subject: 'user_alice', scopes: ['orders:read'] });
  await create({ name: 'bob key', subject: 'user_bob' });
  const view = await newPage(browser);
  try {
    const { page } = view;
    await signIn(page, server);
    await page.waitForSelector('h1:text("Sites")');
    await page.goto(`${server.url}/console?site=${site.id}&tab=api-keys`);
    await settled(page);
    assert.equal(await page.locator('tbody tr').count(), 2);
    assert.ok(!(await traces(page)).html.includes(alice.secret), 'a key secret is in the list');
    await audit(page, 'api-keys');
    await page.click(`tr[data-key-id="${alice.id}"] button:text("Revoke")`);
    await page.fill('dialog textarea[name=revocationReason]', 'left the company');
    await page.click('dialog button:text("Revoke key")');
    await settled(page);
    // Valid keys only, by default: alice's is gone; with revoked ones it shows why.
    await page.waitForSelector(`tr[data-key-id="${alice.id}"]`, { state: 'detached' });
    await page.check('input[name=all]');
    await page.click('form.filters button:text("Search")');
    await page.waitForSelector(`tr[data-key-id="${alice.id}"][data-state="revoked"]`);
    assert.match(await page.textContent(`tr[data-key-id="${alice.id}"]`), /left the company/);
    // A search that finds nothing says so, with the way back.
    await page.fill('input[name=q]', 'nobody');
    await page.click('form.filters button:text("Search")');
    await page.waitForSelector('.empty');
    await settled(page);
    assert.match(await page.textContent('.empty'), /No API key matches “nobody”\. Clear the search\./);
    await page.click('.empty a:text("Clear the search")');
    await settled(page);
    assert.equal(await page.locator('tbody tr').count(), 2);
    view.assertClean();
  } finally {
    await view.close();
  }
});

test('times shown relative stay true while the page is open', async () => {
  await server.admin('POST', '/v1/admin/sites', { name: 'Clocked' });
  const view = await newPage(browser);
  try {
    const { page } = view;
    await page.clock.install();
    await signIn(page, server);
    await page.waitForSelector('h1:text("Sites")');
    await settled(page);
    const created = page.locator('tr:has-text("Clocked") time');
    assert.match(await created.textContent(), /^(now|\d+ seconds? ago)$/);
    const exact = await created.getAttribute('title');
    await page.clock.fastForward('03:00');
    assert.equal(await created.textContent(), '3 minutes ago');
    assert.equal(await created.getAttribute('title'), exact, 'the exact time on hover stays');
    view.assertClean();
  } finally {
    await view.close();
  }
});

test('keyboard only, and readable 375 px wide', { timeout: 60_000 }, async () => {
  const site = await server.admin('POST', '/v1/admin/sites', { name: 'Narrow' });
  await server.connection(site.id, {
    provider: 'google', provider_config_key: 'google-prod', root_resource_name: 'Acme workspace',
    token_expires_at: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    credentials: { type: 'oauth2', fields: { access_token: 'at', refresh_token: 'rt' } },
  });
  // Something in every tab, long unbroken words included (URLs, ids, scopes).
  await server.admin('POST', `/v1/admin/sites/${site.id}/provider_configs`, {
    key: 'google-prod', provider: 'google', client_id: `${'1234567890'.repeat(5)}.apps.googleusercontent.com`, client_secret: 's',
    authorization_url: 'https://accounts.google.com/o/oauth2/v2/auth?include_granted_scopes=true',
    token_url: 'https://oauth2.googleapis.com/token', scopes: ['https://www.googleapis.com/auth/gmail.readonly'],
  });
  const pat = await server.admin('POST', `/v1/admin/sites/${site.id}/personal_access_tokens`, { user_id: 'user_with_a_rather_long_identifier_0123456789', name: 'ops' });
  await fetch(`${server.url}/v1/api_keys`, {
    method: 'POST', headers: { authorization: `Bearer ${pat.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'narrow key', subject: 'subject_with_a_rather_long_identifier_0123456789', scopes: ['orders:read'] }),
  });
  const view = await newPage(browser, { width: 375, height: 812 });
  try {
    const { page } = view;
    await page.goto(`${server.url}/console`);
    await page.waitForSelector('input[name=adminToken]');
    // Tab to the field (after the skip link and the brand), type, Enter.
    for (let i = 0; i < 5 && (await page.evaluate(() => document.activeElement?.name)) !== 'adminToken'; i += 1) await page.keyboard.press('Tab');
    await page.keyboard.type(server.adminToken);
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:text("Sites")');
    await settled(page);
    for (const tab of ['providers', 'tokens', 'api-keys', 'connections']) {
      await page.goto(`${server.url}/console?site=${site.id}&tab=${tab}`);
      await settled(page);
      assert.equal(await page.locator('tbody tr').count(), 1, tab);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${tab}: the page is ${overflow} px wider than the screen`);
      await audit(page, `${tab}-375px`);
    }
    assert.match(await page.textContent('tr[data-provider="google"]'), /expires in 3 days/);

    // Delete by keyboard: Enter on the row's button, the dialog starts on Cancel, Tab, Enter.
    // The row is gone and focus stays on the list, not back at the top of the page.
    await page.focus('tr[data-provider="google"] button:text("Delete")');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Delete connection');
    await page.keyboard.press('Enter');
    await page.waitForSelector('tr[data-provider="google"]', { state: 'detached' });
    await settled(page);
    assert.match(await page.textContent('.empty'), /No connections yet/);
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('list')), true, 'focus is on the list');

    // Sign out forgets the token.
    await page.click('button:text("Sign out")');
    await page.waitForSelector('input[name=adminToken]');
    assert.deepEqual((await traces(page)).session, {});
    view.assertClean();
  } finally {
    await view.close();
  }
});

test("the demo's stand-in provider takes a person through its consent page in a browser", { timeout: 60_000 }, async () => {
  const { startStandInProvider, DEMO_CLIENT } = await import('../../scripts/demo-provider.mjs');
  const standIn = await startStandInProvider({ client: DEMO_CLIENT });
  const view = await newPage(browser);
  try {
    const site = await server.admin('POST', '/v1/admin/sites', { name: 'Stand-in' });
    await server.admin('POST', `/v1/admin/sites/${site.id}/provider_configs`, {
      key: 'demo-oauth', provider: 'demo', token_url: `${standIn.url}/token`, authorization_url: `${standIn.url}/authorize`,
      client_id: DEMO_CLIENT.id, client_secret: DEMO_CLIENT.secret,
    });
    const session = await server.admin('POST', `/v1/admin/sites/${site.id}/connect_sessions`, { provider_config_key: 'demo-oauth' });
    const { page } = view;
    await page.goto(session.url);
    // Its form's answer redirects to credport's callback, on another origin: its policy allows it.
    await page.click('button:text("Approve")');
    await page.waitForURL((url) => url.pathname === '/oauth/callback');
    assert.equal(standIn.calls.exchange, 1);
    const done = await server.admin('GET', `/v1/admin/sites/${site.id}/connect_sessions/${session.id}`);
    assert.equal(done.status, 'succeeded');
    view.assertClean();
  } finally {
    await view.close();
    standIn.server.close();
  }
});
