// The one scenario every packaging target runs, copied into each fresh project and handed the
// module that target imported (`import * as credport from "credport"`, `require("credport")`,
// a bundle...). It returns plain JSON, which helpers.mjs `checkScenario` compares with the data
// the test seeded. No Node, Deno or DOM API is used here: it runs everywhere unchanged.

/** The public names of the package: every entry must export exactly these. */
export const PUBLIC_NAMES = [
  'APIConnectionError', 'APIConnectionTimeoutError', 'APIError', 'APIResponseValidationError', 'APIUserAbortError',
  'ApiKeys', 'AuthenticationError', 'BadRequestError', 'ConflictError', 'Connections', 'Credport', 'CredportError',
  'InternalServerError', 'InvalidArgumentError', 'NotFoundError', 'PermissionDeniedError', 'PersonalAccessTokens',
  'RateLimitError', 'WebhookVerificationError', 'verifyWebhook',
];

/**
 * `params`: `{ baseUrl, apiKey, provider, subject, target, browser? }`. In a browser page the
 * client must refuse to start without `dangerouslyAllowBrowser`; elsewhere it is not passed.
 */
export async function scenario(credport, params) {
  const { Credport, CredportError, APIError, NotFoundError, InvalidArgumentError } = credport;
  const { baseUrl, apiKey, provider, subject, target, browser = false } = params;
  const result = { exports: Object.keys(credport).filter((name) => name !== 'default' && name !== '__esModule').sort() };

  if (browser) {
    try {
      new Credport({ apiKey, baseUrl });
      result.guard = 'no error';
    } catch (e) {
      result.guard = { name: e.name, argument: e.argument, isInvalidArgument: e instanceof InvalidArgumentError };
    }
  }
  const client = new Credport({ apiKey, baseUrl, maxRetries: 0, ...(browser ? { dangerouslyAllowBrowser: true } : {}) });

  const page = await client.connections.list({ pageSize: 10 });
  result.connections = page.payload.map((c) => [c.provider, c.status, c.isActive]).sort();
  result.count = page.count;

  const credentials = await client.connections.getCredentials(provider);
  result.credentials = { provider: credentials.provider, type: credentials.type, fields: credentials.fields };

  const key = await client.apiKeys.create({ name: `packaging ${target}`, subject, scopes: ['orders:read'] });
  const before = await client.apiKeys.verify(key.secret);
  const revoked = await client.apiKeys.revoke(key.id, { revocationReason: 'packaging test' });
  const after = await client.apiKeys.verify(key.secret);
  result.apiKey = {
    name: key.name,
    subject: key.subject,
    secretPrefix: key.secret.slice(0, 4),
    before: [before.valid, before.code, before.apiKey?.id === key.id],
    revoked: [revoked.revoked, revoked.revocationReason],
    after: [after.valid, after.code],
  };

  try {
    await client.connections.get('conn_missing');
    result.notFound = 'no error';
  } catch (e) {
    result.notFound = {
      name: e.name,
      status: e.status,
      code: e.code,
      instanceOf: [e instanceof NotFoundError, e instanceof APIError, e instanceof CredportError, e instanceof Error],
      stack: typeof e.stack === 'string',
    };
  }
  try {
    await client.apiKeys.list({ limit: -1 });
    result.invalid = 'no error';
  } catch (e) {
    result.invalid = { name: e.name, argument: e.argument, instanceOf: [e instanceof InvalidArgumentError, e instanceof CredportError] };
  }
  result.webhook = await webhook(credport);
  return result;
}

/** A delivery signed here with WebCrypto, as credport-server signs one, checked by `verifyWebhook`. */
async function webhook({ verifyWebhook, WebhookVerificationError }) {
  const key = new Uint8Array(32).fill(7);
  const secret = `whsec_${btoa(String.fromCharCode(...key))}`;
  const body = JSON.stringify({
    id: 'evt_packaging', type: 'connection.created', at: '2026-12-04T10:00:00Z', site_id: 'site_packaging',
    actor: { type: 'admin' }, target: { type: 'connection', id: 'conn_packaging' },
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(`evt_packaging.${timestamp}.${body}`)));
  const headers = { 'webhook-id': 'evt_packaging', 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${btoa(String.fromCharCode(...mac))}` };
  const event = verifyWebhook(secret, headers, body);
  let refused;
  try {
    verifyWebhook(secret, headers, body.replace('created', 'deleted'));
    refused = 'no error';
  } catch (e) {
    refused = e instanceof WebhookVerificationError;
  }
  return { type: event.type, siteId: event.siteId, target: event.target.id, refused };
}
