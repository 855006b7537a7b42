// A stand-in OAuth2 provider on 127.0.0.1 for the console's browser test: an authorization page
// a person approves (or denies) and a token endpoint (RFC 6749 §4.1 with PKCE, RFC 7636, and §6
// refresh). It checks what a real provider checks: the client, the exact redirect URI, the
// one-time code, the PKCE verifier; and it counts the tokens it issues.
import crypto from 'node:crypto';
import http from 'node:http';

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startProvider({ clientId = 'console-client', clientSecret = crypto.randomBytes(16).toString('hex') } = {}) {
  const codes = new Map(); // code → { redirectUri, challenge, scope }
  let refreshToken = null;
  const issued = { authorization: 0, refresh: 0 };

  const issue = (scope) => {
    refreshToken = `rt_${crypto.randomBytes(12).toString('hex')}`;
    return { access_token: `at_${crypto.randomBytes(12).toString('hex')}`, token_type: 'Bearer', expires_in: 3600, refresh_token: refreshToken, scope };
  };

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const send = (status, type, body, headers = {}) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      response.end(body);
    };
    const json = (status, body) => send(status, 'application/json', JSON.stringify(body));

    if (request.method === 'GET' && url.pathname === '/authorize') {
      const q = url.searchParams;
      const problems = [
        q.get('response_type') !== 'code' && 'response_type',
        q.get('client_id') !== clientId && 'client_id',
        !q.get('redirect_uri') && 'redirect_uri',
        !q.get('state') && 'state',
        (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) && 'PKCE',
      ].filter(Boolean);
      if (problems.length) return send(400, 'text/plain', `bad authorization request: ${problems.join(', ')}`);
      const hidden = [...q].map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`).join('');
      return send(200, 'text/html; charset=utf-8', `<!doctype html><html lang="en"><meta charset="utf-8"><link rel="icon" href="data:,"><title>Stand-in provider</title>
<h1>Stand-in provider</h1><p>Allow credport (client ${escape(clientId)}) to access your account (scope: ${escape(q.get('scope') ?? '')})?</p>
<form method="post" action="/decide">${hidden}<button name="decision" value="approve">Approve</button> <button name="decision" value="deny">Deny</button></form>`);
    }

    let body = '';
    for await (const chunk of request) body += chunk;
    const form = new URLSearchParams(body);

    if (request.method === 'POST' && url.pathname === '/decide') {
      const back = new URL(form.get('redirect_uri'));
      back.searchParams.set('state', form.get('state'));
      if (form.get('decision') === 'approve') {
        const code = `code_${crypto.randomBytes(12).toString('hex')}`;
        codes.set(code, { redirectUri: form.get('redirect_uri'), challenge: form.get('code_challenge'), scope: form.get('scope') ?? '' });
        back.searchParams.set('code', code);
      } else {
        back.searchParams.set('error', 'access_denied');
      }
      return send(303, 'text/plain', '', { location: back.href });
    }

    if (request.method === 'POST' && url.pathname === '/token') {
      const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '');
      const [id, secret] = basic ? Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent) : [form.get('client_id'), form.get('client_secret')];
      if (id !== clientId || secret !== clientSecret) return json(401, { error: 'invalid_client' });
      if (form.get('grant_type') === 'authorization_code') {
        const grant = codes.get(form.get('code'));
        codes.delete(form.get('code'));
        const verifier = form.get('code_verifier') ?? '';
        const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
        if (!grant || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge) return json(400, { error: 'invalid_grant' });
        issued.authorization += 1;
        return json(200, issue(grant.scope));
      }
      if (form.get('grant_type') === 'refresh_token') {
        if (!refreshToken || form.get('refresh_token') !== refreshToken) return json(400, { error: 'invalid_grant' });
        issued.refresh += 1;
        return json(200, issue(undefined));
      }
      return json(400, { error: 'unsupported_grant_type' });
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    clientId,
    clientSecret,
    authorizationUrl: `${origin}/authorize`,
    tokenUrl: `${origin}/token`,
    issued,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
