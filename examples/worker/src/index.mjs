// A Cloudflare Worker in front of an API: every request must carry one of the site's API keys in
// `x-api-key`; the Worker checks it with credport and answers 401, or passes the request on with
// the key's subject. `GET /connections` lists the site's active connections (without secrets).
//
// Configuration (wrangler.toml [vars], .dev.vars, `wrangler secret put`):
//   CREDPORT_API_KEY   a personal access token (cpat_…); the narrowest that works has the
//                      scopes api_keys:read (verify) and connections:read
//   CREDPORT_BASE_URL  where credport answers, e.g. http://127.0.0.1:8787 for a local credport-server
//   UPSTREAM_URL       optional: the origin that gets the checked requests; without it, the Worker
//                      answers them itself with the key's subject
import { Credport, APIError, APIConnectionError } from 'credport';

export default {
  async fetch(request, env) {
    if (!env.CREDPORT_API_KEY) return json({ error: 'CREDPORT_API_KEY is not set' }, 500);
    // A Worker has no process.env: the client is given its settings. It is cheap to make.
    const client = new Credport({ apiKey: env.CREDPORT_API_KEY, baseUrl: env.CREDPORT_BASE_URL });
    const url = new URL(request.url);
    try {
      if (url.pathname === '/connections' && request.method === 'GET') return await activeConnections(client);
      return await checked(client, request, env);
    } catch (error) {
      // credport could not be asked (network) or refused the Worker's own token: not the caller's fault.
      if (error instanceof APIConnectionError || error instanceof APIError) {
        console.error(`credport: ${error.name}: ${error.message}`);
        return json({ error: 'credential check unavailable' }, 503);
      }
      throw error;
    }
  },
};

/** The site's active connections, every page of them, with what a dashboard needs (no credentials). */
async function activeConnections(client) {
  const connections = [];
  for await (const connection of client.connections.listAll({ status: 'active' })) {
    connections.push({
      id: connection.id,
      provider: connection.provider,
      providerConfigKey: connection.providerConfigKey,
      status: connection.status,
      tokenExpiresAt: connection.tokenExpiresAt,
      isExpired: connection.isExpired,
    });
  }
  return json({ count: connections.length, connections });
}

/** Verifies the caller's `x-api-key`; 401 unless valid, else the request goes on with its subject. */
async function checked(client, request, env) {
  const secret = request.headers.get('x-api-key');
  if (!secret) return json({ error: 'missing x-api-key header' }, 401, { 'www-authenticate': 'ApiKey' });
  // An invalid key is a result (code NOT_FOUND, REVOKED, EXPIRED, ...), not an exception.
  const { valid, code, apiKey } = await client.apiKeys.verify(secret);
  if (!valid) return json({ error: 'invalid API key', code }, 401, { 'www-authenticate': 'ApiKey' });

  if (!env.UPSTREAM_URL) {
    return json({ ok: true, subject: apiKey.subject, scopes: apiKey.scopes, keyId: apiKey.id });
  }
  // Pass the request on: same method, path, query and body; the secret stays here, the subject goes.
  const url = new URL(request.url);
  const upstream = new URL(url.pathname + url.search, env.UPSTREAM_URL);
  const headers = new Headers(request.headers);
  headers.delete('x-api-key');
  headers.set('x-credport-subject', apiKey.subject);
  headers.set('x-credport-key-id', apiKey.id);
  headers.set('x-credport-scopes', apiKey.scopes.join(' '));
  return fetch(upstream, { method: request.method, headers, body: request.body, redirect: 'manual' });
}

function json(body, status = 200, headers = {}) {
  return Response.json(body, { status, headers });
}
