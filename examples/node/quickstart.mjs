// The credport quickstart: what a Node service does with its site's credentials.
// Run it with CREDPORT_API_KEY (a personal access token) and CREDPORT_BASE_URL set, or `npm run demo`.
import { Credport, APIError, NotFoundError } from 'credport';

const client = new Credport(); // CREDPORT_API_KEY and CREDPORT_BASE_URL from the environment

// Connections (read-only): list them, check each one's status, fetch credentials of the active ones.
const connections = await client.connections.list();
console.log(`Found ${connections.count} connections`);
for (const connection of connections.payload) {
  console.log(`\nChecking ${connection.provider} (${connection.providerConfigKey})...`);
  if (!connection.isActive) {
    console.log(`  ⚠ ${connection.provider}: ${connection.status}`);
    continue;
  }
  try {
    const credentials = await client.connections.getCredentials(connection.provider);
    const fields = Object.keys(credentials.fields);
    // The credentials' own expiry: credport-server refreshes an expiring OAuth2 token before it
    // answers, so this can be later than the connection's tokenExpiresAt listed above.
    const expires = credentials.expiresAt;
    const expiry = !expires ? 'no expiry' : Date.parse(expires) <= Date.now() ? 'token expired' : `token valid until ${expires}`;
    console.log(`  ✓ ${connection.provider}: active, ${credentials.type} with ${fields.length} credential fields (${fields.join(', ')}); ${expiry}`);
  } catch (error) {
    if (error instanceof NotFoundError) console.log(`  ✗ ${connection.provider}: no credentials`);
    else throw error;
  }
}

// API keys: issue one to a user, find it, verify it, revoke it, delete it.
console.log('\nAPI keys');
const key = await client.apiKeys.create({
  name: `quickstart ${new Date().toISOString()}`,
  subject: 'user_123',
  description: 'made by the quickstart',
  scopes: ['orders:read'],
  claims: { plan: 'pro' },
  secondsUntilExpiration: 3600,
});
console.log(`  created ${key.id} for ${key.subject}, expires ${key.expiration} (its cpk_… secret is in key.secret, shown this once)`);
const { data, totalCount } = await client.apiKeys.list({ subject: 'user_123' });
console.log(`  ${totalCount} key(s) for user_123: ${data.map((k) => k.name).join(', ')}`);
const check = await client.apiKeys.verify(key.secret);
console.log(`  verify: ${check.code} (valid: ${check.valid})`);
await client.apiKeys.revoke(key.id, { revocationReason: 'quickstart done' });
console.log(`  after revoke, verify: ${(await client.apiKeys.verify(key.secret)).code}`);
const deleted = await client.apiKeys.delete(key.id);
console.log(`  deleted: ${deleted.deleted}`);

// Personal access tokens: a narrower token for a CI job, then revoked.
console.log('\nPersonal access tokens');
const token = await client.personalAccessTokens.create({ name: 'ci read-only', scopes: ['connections:read'] });
console.log(`  created ${token.id} "${token.name}" with scopes ${token.scopes.join(', ')} (its cpat_… token is in token.token, shown this once)`);
const revoked = await client.personalAccessTokens.revoke(token.id);
console.log(`  revoked: state ${revoked.state} at ${revoked.revokedAt}`);

try {
  await new Credport({ apiKey: token.token, maxRetries: 0 }).connections.list();
} catch (error) {
  if (error instanceof APIError) console.log(`  the revoked token is refused: ${error.status} ${error.code}`);
  else throw error;
}
console.log('\nDone.');
