// Compiled with `tsc --strict --noEmit` against the installed package: the whole surface, typed,
// and wrong calls that must not compile.
import {
  Credport,
  CredportError,
  APIError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  InternalServerError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  InvalidArgumentError,
} from 'credport';
import type {
  ApiKey,
  ApiKeyList,
  Connection,
  ConnectionPage,
  ConnectionStatus,
  CreatedApiKey,
  CreatedPersonalAccessToken,
  PersonalAccessToken,
  ProviderCredentials,
  TokenState,
  VerifyApiKeyResult,
  ClientOptions,
  RequestOptions,
} from 'credport';
import { CredportAdmin } from 'credport/admin';
import type {
  CreatedWebhookEndpoint,
  Event,
  EventPage,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointStatus,
} from 'credport/admin';

export async function surface(): Promise<void> {
  const options: ClientOptions = { apiKey: 'cpat_x', baseUrl: 'http://127.0.0.1:8787', maxRetries: 2, timeoutMs: 1000, fetch, dangerouslyAllowBrowser: false };
  const client = new Credport(options);
  const call: RequestOptions = { signal: new AbortController().signal, timeoutMs: 5, maxRetries: 0, idempotencyKey: 'k' };

  const page: ConnectionPage = await client.connections.list({ page: 1, pageSize: 5, provider: 'google', status: 'active' }, call);
  const count: number = page.count;
  const next: number | null = page.next;
  const first: Connection | undefined = page.payload[0];
  if (first) {
    const active: boolean = first.isActive;
    const expired: boolean = first.isExpired;
    const status: ConnectionStatus = first.status;
    const known: boolean = status === 'active' || status === 'inactive' || status === 'invalid';
    const expiresAt: string | null = first.tokenExpiresAt;
    const type: string = first.credentials.type;
    const meta: Record<string, unknown> = first.metadata;
    void [active, expired, known, expiresAt, type, meta];
  }
  for await (const connection of client.connections.listAll({ pageSize: 100 })) {
    const id: string = connection.id;
    void id;
  }
  const one: Connection = await client.connections.get('conn_1');
  const creds: ProviderCredentials = await client.connections.getCredentials('google');
  const fields: Record<string, unknown> = creds.fields;
  const forced: ProviderCredentials = await client.connections.getCredentials('google', { forceRefresh: true }, { timeoutMs: 1000 });
  void forced;
  client.connections.clearCredentialsCache('google');
  client.connections.clearCredentialsCache();
  const cached = new Credport({ apiKey: 'cpat_x', credentialsCache: { maxAgeMs: 60_000 } });
  void cached;

  const key: CreatedApiKey = await client.apiKeys.create({ name: 'n', subject: 's', type: 'api_key', description: 'd', claims: { a: 1 }, scopes: ['x'], createdBy: 'me', secondsUntilExpiration: 60 });
  const secret: string = key.secret;
  const list: ApiKeyList = await client.apiKeys.list({ subject: 's', type: 'api_key', includeInvalid: true, limit: 10, offset: 0, query: 'q' });
  const total: number = list.totalCount;
  for await (const k of client.apiKeys.listAll()) void (k satisfies ApiKey);
  const got: ApiKey = await client.apiKeys.get(key.id);
  const updated: ApiKey = await client.apiKeys.update(key.id, { claims: null, scopes: [], description: null, subject: 's2', secondsUntilExpiration: null });
  const deleted: { id: string; object: string; deleted: boolean } = await client.apiKeys.delete(key.id);
  const shown: { secret: string } = await client.apiKeys.getSecret(key.id);
  const revoked: ApiKey = await client.apiKeys.revoke(key.id, { revocationReason: 'r' });
  const verified: VerifyApiKeyResult = await client.apiKeys.verify(secret);
  const valid: boolean = verified.valid;
  const keyOrNull: ApiKey | null = verified.apiKey;

  const pat: CreatedPersonalAccessToken = await client.personalAccessTokens.create({ name: 't', expiresAt: '2030-01-01T00:00:00Z', scopes: ['connections:read'] });
  const token: string = pat.token;
  const state: TokenState = pat.state;
  const pats: { data: PersonalAccessToken[]; totalCount: number } = await client.personalAccessTokens.list();
  const onePat: PersonalAccessToken = await client.personalAccessTokens.get(pat.id);
  const revokedPat: PersonalAccessToken = await client.personalAccessTokens.revoke(pat.id);
  const revokedAt: string | null = revokedPat.revokedAt;

  void [count, next, one, fields, total, got, updated, deleted, shown, revoked, valid, keyOrNull, token, state, pats, onePat, revokedAt];

  try {
    await client.connections.list();
  } catch (e) {
    if (e instanceof RateLimitError) {
      const wait: number | null = e.retryAfter;
      void wait;
    } else if (e instanceof APIError) {
      const parts: [number, string, string | null, Record<string, unknown> | null, Record<string, string>] = [e.status, e.code, e.requestId, e.details, e.headers];
      void parts;
    } else if (e instanceof InvalidArgumentError) {
      const argument: string = e.argument;
      void argument;
    } else if (e instanceof CredportError) {
      const message: string = e.message;
      void message;
    }
  }
  const classes = [BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError, InternalServerError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError];
  void classes;
}

export async function wrongCalls(client: Credport): Promise<void> {
  // @ts-expect-error apiKey must be a string
  new Credport({ apiKey: 5 });
  // @ts-expect-error unknown option
  new Credport({ apikey: 'x' });
  // @ts-expect-error pageSize is a number
  await client.connections.list({ pageSize: '5' });
  // @ts-expect-error forceRefresh is a boolean
  await client.connections.getCredentials('google', { forceRefresh: 'yes' });
  // @ts-expect-error maxAgeMs is required
  new Credport({ credentialsCache: {} });
  // @ts-expect-error id is required
  await client.connections.get();
  // @ts-expect-error id is a string
  await client.apiKeys.get(42);
  // @ts-expect-error name and subject are required
  await client.apiKeys.create({ name: 'only a name' });
  // @ts-expect-error params of update are required
  await client.apiKeys.update('ak_1');
  // @ts-expect-error scopes is a list
  await client.apiKeys.create({ name: 'n', subject: 's', scopes: 'read' });
  // @ts-expect-error secret is a string
  await client.apiKeys.verify({ secret: 'x' });
  // @ts-expect-error name is required
  await client.personalAccessTokens.create({});
  // @ts-expect-error signal is an AbortSignal
  await client.connections.list({}, { signal: 'stop' });
  const page = await client.connections.list();
  // @ts-expect-error next may be null
  const n: number = page.next;
  void n;
  // @ts-expect-error connections are read-only: no create
  await client.connections.create({});
  // @ts-expect-error nothing to free: the client and its resources are plain objects to the caller
  client.free();
  // @ts-expect-error nor to dispose of
  client.connections[Symbol.dispose]();
}

export async function adminEventsAndWebhooks(admin: CredportAdmin): Promise<void> {
  const site = admin.site('site_1');
  const page: EventPage = await site.events.list({ type: 'connection.updated', targetId: 'conn_1', since: '2026-01-01T00:00:00Z', limit: 50 });
  const cursor: string | null = page.nextCursor;
  const older: EventPage = await site.events.list({ cursor: cursor ?? undefined }, { timeoutMs: 5 });
  for await (const event of site.events.listAll({ type: 'credentials.read' })) {
    const e: Event = event;
    // Null where an event has no value, as every absent value of the SDK's.
    const parts: [string, string, string, string, string | null, string | null] = [e.type, e.at, e.actor.type, e.target.id, e.actor.tokenId, e.requestId];
    const data: Record<string, unknown> | null = e.data;
    void [parts, data];
  }
  const created: CreatedWebhookEndpoint = await site.webhookEndpoints.create({ url: 'https://hooks.example.com/credport', types: ['connection.*'], description: 'CRM' });
  const secret: string = created.secret;
  const list: WebhookEndpointList = await site.webhookEndpoints.list();
  const total: number = list.totalCount;
  const one: WebhookEndpoint = await site.webhookEndpoints.get(created.id);
  const status: WebhookEndpointStatus = one.status;
  const updated: WebhookEndpoint = await site.webhookEndpoints.update(created.id, { status: 'disabled', types: [] });
  const deliveries: WebhookDeliveryList = await site.webhookEndpoints.deliveries(created.id);
  const delivery: WebhookDelivery | undefined = deliveries.data[0];
  const lastStatus: number | null | undefined = delivery?.lastStatusCode;
  const deleted: void = await site.webhookEndpoints.delete(created.id);
  void [older, secret, total, status, updated, lastStatus, deleted];

  // @ts-expect-error url is required
  await site.webhookEndpoints.create({ types: [] });
  // @ts-expect-error limit is a number
  await site.events.list({ limit: '5' });
  // @ts-expect-error an endpoint as listed never holds its secret
  void list.data[0]?.secret;
  // @ts-expect-error the deliveries are an endpoint's
  await site.webhookEndpoints.deliveries();
  // @ts-expect-error the parameters of an update are required
  await site.webhookEndpoints.update(created.id);
}

export async function adminProviderConfigs(admin: CredportAdmin): Promise<void> {
  const site = admin.site('site_1');
  // Free-form objects are plain objects, as they are at run time.
  const config = await site.providerConfigs.create({
    key: 'google-prod',
    provider: 'google',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    clientId: 'id',
    clientSecret: 'secret',
    authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    authorizationParams: { access_type: 'offline', prompt: 'consent' },
  });
  const accessType: string | undefined = config.authorizationParams['access_type'];
  const updated = await site.providerConfigs.update('google-prod', { authorizationParams: { prompt: 'select_account' } });
  void [accessType, updated.authorizationParams.prompt];
  // @ts-expect-error a parameter's value is a string
  await site.providerConfigs.update('google-prod', { authorizationParams: { prompt: 1 } });
}
