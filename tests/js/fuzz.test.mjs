// Property tests through the built wasm: arbitrary and mutated parameters, and arbitrary and
// mutated answers (from a `fetch` option), never make the SDK trap or throw anything but its own
// typed errors, and an answer's values never appear in an error message. Seeded, so a failure
// can be replayed; bounded to a few thousand cases. The same properties of the decoding
// functions alone run natively in src/decode_fuzz.rs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { importEsm } from './harness.mjs';

const SEED = Number(process.env.CREDPORT_FUZZ_SEED ?? 20261202);
const MARK = 'SeCrEt';
let sdk;

before(async () => {
  sdk = await importEsm();
});

/** mulberry32: a small seeded PRNG. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  'name', 'subject', 'type', 'description', 'claims', 'scopes', 'createdBy', 'secondsUntilExpiration', 'page',
  'pageSize', 'provider', 'status', 'includeInvalid', 'limit', 'offset', 'query', 'expiresAt', 'revocationReason',
  'id', 'count', 'payload', 'data', 'total_count', 'valid', 'code', 'api_key', 'secret', 'token', 'metadata',
];

/** An arbitrary JS value, strings marked. */
function value(rand, depth = 0) {
  const pick = Math.floor(rand() * (depth > 2 ? 9 : 12));
  switch (pick) {
    case 0: return null;
    case 1: return undefined;
    case 2: return rand() < 0.5;
    case 3: return Math.floor(rand() * 300) - 50;
    case 4: return [NaN, Infinity, -0, 1.5, 2 ** 53, 2 ** 64][Math.floor(rand() * 6)];
    case 5: return `${MARK}${'é🔑"\\\n'.slice(0, Math.floor(rand() * 6))}`;
    case 6: return [() => 1, Symbol('s'), 10n, new Date(0)][Math.floor(rand() * 4)];
    case 7: return '';
    case 8: return 'active';
    default: {
      if (rand() < 0.4) return Array.from({ length: Math.floor(rand() * 4) }, () => value(rand, depth + 1));
      const object = {};
      for (let i = Math.floor(rand() * 6); i > 0; i--) object[NAMES[Math.floor(rand() * NAMES.length)]] = value(rand, depth + 1);
      return object;
    }
  }
}

/** Every method with arbitrary arguments. */
const calls = [
  (c, v) => c.connections.list(v, v?.options),
  (c, v) => c.connections.get(v),
  (c, v) => c.connections.getCredentials(v),
  (c, v) => c.apiKeys.create(v),
  (c, v) => c.apiKeys.list(v),
  (c, v, w) => c.apiKeys.update(v, w),
  (c, v, w) => c.apiKeys.revoke(v, w),
  (c, v) => c.apiKeys.verify(v),
  (c, v) => c.personalAccessTokens.create(v),
  (c, v) => c.personalAccessTokens.get(v),
];

/** A valid answer for each call, to mutate. */
const connection = {
  id: 'conn_1', provider: 'google', provider_config_key: 'google-prod', root_resource_id: null, root_resource_name: 'R',
  scopes: ['a'], status: 'active', token_expires_at: '2020-01-01T00:00:00Z', credentials: { type: 'oauth2', expires_at: null },
  metadata: { Keep_Case: 1 }, created_at: 't', updated_at: 't',
};
const apiKey = {
  id: 'ak_1', object: 'api_key', type: 'api_key', name: 'n', subject: 's', description: null, claims: { orgID: 1 }, scopes: [],
  created_by: null, revoked: false, revocation_reason: null, expired: false, expiration: null, last_used_at: null,
  created_at: 't', updated_at: 't',
};
const answers = [
  { count: 1, page: 1, page_size: 20, next: null, previous: null, payload: [connection] },
  connection,
  { provider: 'google', type: 'oauth2', expires_at: null, fields: { access_token: 'x' } },
  { ...apiKey, secret: 'cpk_x' },
  { data: [apiKey], total_count: 1 },
  apiKey,
  apiKey,
  { valid: true, code: 'VALID', api_key: apiKey },
  { id: 'pat_1', user_id: 'u', name: 'n', state: 'ACTIVE', scopes: [], revoked_by: null, created_at: 't', updated_at: 't', last_used_at: null, expires_at: null, revoked_at: null, token: 'cpat_x' },
];

/** For `JSON.stringify`: what JSON cannot hold becomes a marked string. */
const plain = (_key, v) => (['function', 'symbol', 'bigint'].includes(typeof v) ? MARK : v);

/** `answer` with one member replaced by an arbitrary value, or its text cut. */
function mutate(rand, answer) {
  const copy = structuredClone(answer);
  const spots = [];
  (function walk(v) {
    if (v && typeof v === 'object') for (const k of Object.keys(v)) { spots.push([v, k]); walk(v[k]); }
  })(copy);
  const text = JSON.stringify(copy);
  if (rand() < 0.2) return text.slice(0, Math.floor(rand() * text.length));
  const [holder, key] = spots[Math.floor(rand() * spots.length)];
  const replacement = value(rand);
  if (replacement === undefined) delete holder[key];
  else holder[key] = replacement;
  return JSON.stringify(copy, plain);
}

/** The call settled with a value or one of the SDK's errors, none quoting a marked value. */
function typed(outcome, label) {
  if (outcome.ok) return;
  const { error } = outcome;
  assert.ok(error instanceof sdk.CredportError, `${label}: ${error?.name}: ${error?.message}`);
  assert.ok(!String(error.message).includes(MARK), `${label}: ${error.message}`);
}

const settle = (promise) => Promise.resolve(promise).then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));

test('arbitrary parameters: a result or a typed error, never a trap', async () => {
  const rand = random(SEED);
  let sent = 0;
  const client = new sdk.Credport({
    apiKey: 'cpat_fuzz', baseUrl: 'http://127.0.0.1:1', maxRetries: 0,
    fetch: () => { sent += 1; return new Response('{}', { status: 404 }); },
  });
  for (let i = 0; i < 3000; i++) {
    const call = calls[i % calls.length];
    const args = [value(rand), value(rand)];
    let outcome;
    try {
      outcome = await settle(call(client, ...args));
    } catch (error) {
      outcome = { ok: false, error }; // a synchronous throw must be typed too
    }
    typed(outcome, `call ${i % calls.length} (seed ${SEED}, case ${i})`);
  }
  console.log(`3000 calls with arbitrary arguments, ${sent} of them sent`);
});

test('arbitrary and mutated answers: a result or a typed error, never a trap nor an echo', async () => {
  const rand = random(SEED + 1);
  let body = '';
  const client = new sdk.Credport({
    apiKey: 'cpat_fuzz', baseUrl: 'http://127.0.0.1:1', maxRetries: 0,
    fetch: () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
  });
  const good = [
    (c) => c.connections.list(), (c) => c.connections.get('c'), (c) => c.connections.getCredentials('google'),
    (c) => c.apiKeys.create({ name: 'n', subject: 's' }), (c) => c.apiKeys.list(), (c) => c.apiKeys.get('k'),
    (c) => c.apiKeys.revoke('k'), (c) => c.apiKeys.verify('cpk_x'), (c) => c.personalAccessTokens.create({ name: 'n' }),
  ];
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const which = i % good.length;
    body = rand() < 0.15 ? JSON.stringify(value(rand), plain) ?? '' : mutate(rand, answers[which]);
    const outcome = await settle(good[which](client));
    typed(outcome, `answer ${which} (seed ${SEED}, case ${i}): ${body.slice(0, 80)}`);
    if (outcome.ok) accepted += 1;
  }
  // The unmutated answers are read, free-form keys unchanged.
  body = JSON.stringify(answers[0]);
  const page = await client.connections.list();
  assert.deepEqual(page.payload[0].metadata, { Keep_Case: 1 });
  assert.equal(page.payload[0].isExpired, true);
  console.log(`3000 answers, ${accepted} accepted`);
});
