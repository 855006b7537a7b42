// A stand-in for an OAuth2 provider (it answers like Google's endpoints do; it is not Google), for
// the demos: an authorization page where a person approves or denies (RFC 6749 §4.1.1, PKCE
// S256 required), and a token endpoint for the authorization-code grant (single-use codes, the
// exact redirect URI, the PKCE verifier checked) and the refresh grant (§6), the client
// authenticated by HTTP Basic.
//
// `npm run demo` (scripts/demo.mjs) starts it on a free port. Run on its own,
// `node scripts/demo-provider.mjs` serves it on 127.0.0.1:8788 (DEMO_PROVIDER_PORT) with the demo
// client that `credport-server demo` configures (provider configuration `demo-oauth`), so that
// the connect link `credport-server demo` prints can be opened in a browser and approved by hand.
import crypto from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

/** The client `credport-server demo` configures for this stand-in (a demo value, not a secret). */
export const DEMO_CLIENT = { id: 'demo-client.apps.example', secret: 'demo-client-secret-for-the-stand-in' };

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem}button{font:inherit;margin-right:.5rem;padding:.4rem 1rem}';
const STYLE_HASH = crypto.createHash('sha256').update(STYLE).digest('base64');

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** Starts the stand-in for `client` on `port` (0: a free one). */
export function startStandInProvider({ client, port = 0, log = () => {} }) {
  const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
  const pending = new Map(); // authorization request id → its query
  const codes = new Map(); // code → { redirectUri, challenge, scope }
  const calls = { exchange: 0, refresh: 0 };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://stand-in');
    // `formTarget`: where the page's form may end up. A browser holds a form's redirects to
    // `form-action` too, and the consent form's answer redirects to the client's redirect URI.
    const page = (status, title, body, formTarget = '') => {
      response.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'${formTarget}; frame-ancestors 'none'`,
        'referrer-policy': 'no-referrer',
      });
      response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`);
    };
    const redirect = (location) => {
      response.writeHead(302, { location, 'referrer-policy': 'no-referrer' });
      response.end();
    };

    if (request.method === 'GET' && url.pathname === '/authorize') {
      const q = Object.fromEntries(url.searchParams);
      if (q.client_id !== client.id || q.response_type !== 'code' || q.code_challenge_method !== 'S256' || !q.code_challenge || !URL.canParse(q.redirect_uri ?? '')) {
        return page(400, 'Bad request', '<h1>This authorization request is not valid</h1>');
      }
      const id = crypto.randomBytes(16).toString('hex');
      pending.set(id, q);
      return page(
        200,
        'Authorize credport (stand-in provider)',
        `<h1>Allow credport to reach your account?</h1><p>credport asks for: <strong>${escape(q.scope ?? '(no scope)')}</strong>.</p>` +
          `<p>This page is the demo's stand-in for a provider's consent screen.</p>` +
          `<form method="get" action="/authorize/decide"><input type="hidden" name="request" value="${id}">` +
          `<button name="decision" value="approve" autofocus>Approve</button><button name="decision" value="deny">Deny</button></form>`,
        ` ${new URL(q.redirect_uri).origin}`,
      );
    }
    if (request.method === 'GET' && url.pathname === '/authorize/decide') {
      const q = pending.get(url.searchParams.get('request'));
      pending.delete(url.searchParams.get('request'));
      if (!q) return page(400, 'Unknown request', '<h1>This authorization request is unknown or already answered</h1>');
      const back = new URL(q.redirect_uri);
      if (url.searchParams.get('decision') === 'approve') {
        const code = crypto.randomBytes(16).toString('hex');
        codes.set(code, { redirectUri: q.redirect_uri, challenge: q.code_challenge, scope: q.scope });
        back.searchParams.set('code', code);
        log('  [stand-in provider] the person approved; sending the browser back with a code');
      } else {
        back.searchParams.set('error', 'access_denied');
        log('  [stand-in provider] the person denied');
      }
      if (q.state) back.searchParams.set('state', q.state);
      return redirect(back.href);
    }
    if (request.method === 'POST' && url.pathname === '/token') {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const form = new URLSearchParams(body);
        const answer = (status, json) => {
          response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          response.end(JSON.stringify(json));
        };
        if (request.headers.authorization !== basic) return answer(401, { error: 'invalid_client' });
        let scope;
        if (form.get('grant_type') === 'authorization_code') {
          const grant = codes.get(form.get('code'));
          codes.delete(form.get('code'));
          const verifier = form.get('code_verifier') ?? '';
          const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
          if (!grant || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge) {
            return answer(400, { error: 'invalid_grant' });
          }
          calls.exchange += 1;
          scope = grant.scope;
        } else if (form.get('grant_type') === 'refresh_token') {
          if (!form.get('refresh_token')) return answer(400, { error: 'invalid_grant' });
          calls.refresh += 1;
        } else {
          return answer(400, { error: 'unsupported_grant_type' });
        }
        const accessToken = `ya29.stand-in-${crypto.randomBytes(12).toString('hex')}`;
        const refreshToken = `1//stand-in-${crypto.randomBytes(12).toString('hex')}`;
        log(`  [stand-in provider] ${form.get('grant_type')} grant from credport-server: issued ${accessToken.slice(0, 22)}…`);
        answer(200, { access_token: accessToken, refresh_token: refreshToken, token_type: 'Bearer', expires_in: 3600, ...(scope ? { scope } : {}) });
      });
      return;
    }
    page(404, 'Not found', '<h1>Not found</h1>');
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}`, calls })),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.DEMO_PROVIDER_PORT ?? 8788);
  const { url } = await startStandInProvider({ client: DEMO_CLIENT, port, log: console.log });
  console.log(`stand-in provider at ${url} (authorization ${url}/authorize, token ${url}/token); Ctrl-C stops it`);
}
