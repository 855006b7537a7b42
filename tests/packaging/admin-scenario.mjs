// The scenario of credport/admin, as scenario.mjs is credport's: copied into each fresh project and
// handed the module the target imported (`import * as admin from "credport/admin"`,
// `require("credport/admin")`...). It returns plain JSON, which helpers.mjs `checkAdminScenario`
// compares with what it must be. No Node, Deno or DOM API is used here: it runs everywhere.

/** The public names of credport/admin: every entry must export exactly these (every error class of
 * credport's, WebhookVerificationError included: they are one set of classes). */
export const ADMIN_PUBLIC_NAMES = [
  'APIConnectionError', 'APIConnectionTimeoutError', 'APIError', 'APIResponseValidationError', 'APIUserAbortError',
  'AdminApiKeys', 'AdminConnections', 'AdminEvents', 'AdminPersonalAccessTokens', 'AuthenticationError', 'BadRequestError',
  'ConflictError', 'ConnectSessions', 'CredportAdmin', 'CredportError', 'InternalServerError', 'InvalidArgumentError', 'NotFoundError',
  'PermissionDeniedError', 'ProviderConfigs', 'RateLimitError', 'SiteAdmin', 'Sites', 'WebhookEndpoints', 'WebhookVerificationError',
];

/**
 * `params`: `{ baseUrl, adminToken, target, browser? }`. In a browser page the client must refuse
 * to start without `dangerouslyAllowBrowser`; elsewhere it is not passed.
 */
export async function adminScenario(admin, params) {
  const { CredportAdmin, NotFoundError, InvalidArgumentError, CredportError } = admin;
  const { baseUrl, adminToken, target, browser = false } = params;
  const result = { exports: Object.keys(admin).filter((name) => name !== 'default' && name !== '__esModule').sort() };
  if (browser) {
    try {
      new CredportAdmin({ adminToken, baseUrl });
      result.guard = 'no error';
    } catch (e) {
      result.guard = { name: e.name, argument: e.argument, isInvalidArgument: e instanceof InvalidArgumentError };
    }
  }
  const client = new CredportAdmin({ adminToken, baseUrl, maxRetries: 0, ...(browser ? { dangerouslyAllowBrowser: true } : {}) });

  const made = await client.sites.create({ name: `admin ${target}` });
  const sites = await client.sites.list();
  result.site = { name: made.name, listed: sites.data.some((s) => s.id === made.id) };
  const site = client.site(made.id);
  const connection = await site.connections.create({
    provider: 'github',
    providerConfigKey: 'github-prod',
    credentials: { type: 'api_key', fields: { api_key: 'ghp_packaging' } },
    metadata: { 'Team Name': target },
  });
  const page = await site.connections.list();
  result.connection = {
    listed: page.payload.map((c) => [c.provider, c.status, c.isActive, c.metadata['Team Name'] === target]),
    credentials: connection.credentials,
    same: (await site.connections.get(connection.id)).id === connection.id,
  };
  const config = await site.providerConfigs.create({
    key: 'github-prod',
    provider: 'github',
    tokenUrl: 'https://github.com/login/oauth/access_token',
    clientId: 'packaging',
    clientSecret: 'client-secret',
  });
  result.providerConfig = [config.key, config.authMethod, 'clientSecret' in config];
  const token = await site.personalAccessTokens.create({ userId: 'packager', name: target });
  const tokens = await site.personalAccessTokens.list({ userId: 'packager' });
  result.token = [token.token.slice(0, 5), tokens.totalCount, 'token' in tokens.data[0]];
  result.apiKeys = (await site.apiKeys.list()).totalCount;
  await site.connections.delete(connection.id);
  try {
    await site.connections.get(connection.id);
    result.notFound = 'no error';
  } catch (e) {
    result.notFound = { name: e.name, status: e.status, instanceOf: [e instanceof NotFoundError, e instanceof CredportError, e instanceof Error] };
  }
  try {
    await site.connections.get(42);
    result.invalid = 'no error';
  } catch (e) {
    result.invalid = { name: e.name, argument: e.argument, instanceOf: e instanceof InvalidArgumentError };
  }
  try {
    client.site(42);
    result.invalidSite = 'no error';
  } catch (e) {
    result.invalidSite = [e.argument, e instanceof InvalidArgumentError];
  }
  return result;
}
