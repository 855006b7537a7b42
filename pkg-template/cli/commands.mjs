// The commands of credport: for each, its flags and arguments (for parsing and help), the SDK
// call it makes, and how its result reads in a terminal. `--json` bypasses `render`.
import { UsageError, camel, integer, json, scopes } from './args.mjs';
import { table, details, paint } from './format.mjs';

/** Copies the entries whose value is not undefined: absent flags stay absent in SDK params. */
function defined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

const scopeFlags = {
  scope: { value: 'SCOPE', repeat: true, help: 'A scope; repeat for several' },
  scopes: { value: 'A,B', repeat: true, help: 'Scopes, comma-separated (with --scope, all are kept)' },
};

// ---------------------------------------------------------------- connections

/** A connection's refresh error in one line (`invalid_grant: … (at …)`); never holds a secret. */
function refreshError(c) {
  const e = c.refreshError;
  return e ? `${e.code}: ${e.message} (at ${e.at})` : null;
}

function connectionDetails(c, color) {
  return details(
    [
      ['ID', c.id],
      ['Provider', c.provider],
      ['Config key', c.providerConfigKey],
      ['Resource ID', c.rootResourceId],
      ['Resource name', c.rootResourceName],
      ['Status', c.status, { status: true }],
      ['Scopes', c.scopes],
      ['Token expires', c.tokenExpiresAt ? `${c.tokenExpiresAt}${c.isExpired ? ' (expired)' : ''}` : null],
      ['Credentials', c.credentials?.type],
      ['Credentials expire', c.credentials?.expiresAt],
      ['Metadata', c.metadata && Object.keys(c.metadata).length ? c.metadata : null],
      ['Last refreshed', c.lastRefreshedAt],
      ['Refresh error', refreshError(c)],
      ['Created', c.createdAt],
      ['Updated', c.updatedAt],
    ],
    { color },
  );
}

const connections = {
  summary: "The site's connections to third-party providers (read-only)",
  subcommands: {
    list: {
      summary: 'List connections, one page at a time',
      flags: {
        page: { value: 'N', help: 'Page number, from 1 (default 1)' },
        'page-size': { value: 'N', help: 'Connections per page, 1..100 (default 20)' },
        provider: { value: 'PROVIDER', help: 'Only this provider (google, shopify, ...)' },
        status: { value: 'STATUS', help: 'Only this status: active, inactive or invalid' },
      },
      examples: ['credport connections list', 'credport connections list --page 2 --page-size 5', 'credport connections list --status active --json'],
      run: ({ client, flags }) =>
        client.connections.list(
          defined({
            page: integer(flags, 'page'),
            pageSize: integer(flags, 'page-size'),
            provider: flags.provider,
            status: flags.status,
          }),
        ),
      render(page, { color }) {
        if (page.payload.length === 0) {
          return page.count > 0 ? `No connections on page ${page.page} (${page.count} in all).\n` : 'No connections.\n';
        }
        const out = table(
          page.payload,
          [
            { header: 'ID', value: (c) => c.id },
            { header: 'PROVIDER', value: (c) => c.provider },
            { header: 'CONFIG KEY', value: (c) => c.providerConfigKey },
            { header: 'RESOURCE', value: (c) => c.rootResourceName ?? c.rootResourceId },
            { header: 'STATUS', value: (c) => c.status, status: true },
            // Only when a connection's token refresh failed: the provider refused it.
            ...(page.payload.some((c) => c.refreshError) ? [{ header: 'REFRESH ERROR', value: (c) => c.refreshError?.code }] : []),
            { header: 'CREDENTIALS', value: (c) => c.credentials?.type },
            { header: 'TOKEN EXPIRES', value: (c) => (c.tokenExpiresAt && c.isExpired ? `${c.tokenExpiresAt} (expired)` : c.tokenExpiresAt) },
          ],
          { color },
        );
        const pages = Math.max(1, Math.ceil(page.count / page.pageSize));
        const noun = page.count === 1 ? 'connection' : 'connections';
        const next = page.next ? `; next: --page ${page.next}` : '';
        return `${out}\n${paint('dim', `Page ${page.page} of ${pages}, ${page.count} ${noun}${next}`, color)}\n`;
      },
    },
    get: {
      summary: 'Show one connection (its credentials are not shown: see get-credentials)',
      args: [{ name: 'ID', help: 'The connection id' }],
      examples: ['credport connections get conn_123'],
      run: ({ client, args }) => client.connections.get(args.ID),
      render: (c, { color }) => connectionDetails(c, color),
    },
    'get-credentials': {
      summary: "Print the secret credentials of the site's active connection to a provider",
      description:
        'This command exists to print secrets: the access tokens, keys or passwords of the connection.\n' +
        'Fetch them when needed rather than storing them.',
      args: [{ name: 'PROVIDER', help: 'The provider code, e.g. google' }],
      flags: {
        'force-refresh': { help: "Refresh an OAuth2 connection's token now, whatever its expiry" },
      },
      examples: [
        'credport connections get-credentials google',
        'credport connections get-credentials google --force-refresh',
        'credport connections get-credentials shopify --json',
      ],
      run: ({ client, args, flags }) => client.connections.getCredentials(args.PROVIDER, defined({ forceRefresh: flags.forceRefresh ? true : undefined })),
      render(creds, { color }) {
        const fields = Object.entries(creds.fields ?? {});
        return (
          details(
            [
              ['Provider', creds.provider],
              ['Type', creds.type],
              ['Expires', creds.expiresAt],
            ],
            { color },
          ) +
          (fields.length ? `\n${details(fields.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]), { color })}` : '')
        );
      },
    },
  },
};

// ---------------------------------------------------------------- API keys

function keyStatus(k) {
  return k.revoked ? 'revoked' : k.expired ? 'expired' : 'active';
}

function keyPairs(k) {
  return [
    ['ID', k.id],
    ['Name', k.name],
    ['Subject', k.subject],
    ['Type', k.type],
    ['Status', keyStatus(k), { status: true }],
    ['Description', k.description],
    ['Scopes', k.scopes],
    ['Claims', k.claims === undefined || k.claims === null ? null : JSON.stringify(k.claims)],
    ['Created by', k.createdBy],
    ['Expires', k.expiration],
    ['Last used', k.lastUsedAt],
    ...(k.revoked ? [['Revocation reason', k.revocationReason]] : []),
    ['Created', k.createdAt],
    ['Updated', k.updatedAt],
  ];
}

const keyDetails = (k, { color }) => details(keyPairs(k), { color });

const apiKeys = {
  summary: 'API keys the site issues to its users and machines',
  subcommands: {
    create: {
      summary: 'Create an API key and print its secret',
      description: 'The secret (cpk_…) is printed once here; `credport api-keys secret ID` prints it again.',
      flags: {
        name: { value: 'NAME', help: 'Name of the key, unique per subject (required)' },
        subject: { value: 'SUBJECT', help: 'Who the key is for: a user id, a machine, an organisation (required)' },
        type: { value: 'TYPE', help: 'Type of the key (default api_key)' },
        description: { value: 'TEXT', help: 'Free text' },
        claims: { value: 'JSON', help: `Any JSON to attach, e.g. '{"plan":"pro"}'` },
        ...scopeFlags,
        'created-by': { value: 'WHO', help: 'Who created the key' },
        'seconds-until-expiration': { value: 'N', help: 'Lifetime in seconds (default: never expires)' },
      },
      examples: [
        'credport api-keys create --name ci --subject user_42 --scope read --scope write',
        `credport api-keys create --name ci --subject user_42 --claims '{"plan":"pro"}' --seconds-until-expiration 86400`,
      ],
      run: ({ client, flags }) =>
        client.apiKeys.create(
          defined({
            name: flags.name,
            subject: flags.subject,
            type: flags.type,
            description: flags.description,
            claims: json(flags, 'claims'),
            scopes: scopes(flags),
            createdBy: flags.createdBy,
            secondsUntilExpiration: integer(flags, 'seconds-until-expiration'),
          }),
        ),
      render: (k, { color }) =>
        `${details([...keyPairs(k), ['Secret', k.secret]], { color })}\n` +
        `${paint('yellow', 'Store the secret now, somewhere safe: lists never show it.', color)}\n`,
    },
    list: {
      summary: 'List API keys (without their secrets)',
      flags: {
        subject: { value: 'SUBJECT', help: 'Only keys for this subject' },
        type: { value: 'TYPE', help: 'Only keys of this type' },
        'include-invalid': { help: 'Also list revoked and expired keys' },
        limit: { value: 'N', help: 'Keys per page, 1..100 (default 10)' },
        offset: { value: 'N', help: 'Keys to skip (default 0)' },
        query: { value: 'TEXT', help: 'Only keys whose name or description matches' },
      },
      examples: ['credport api-keys list', 'credport api-keys list --subject user_42 --include-invalid --limit 50'],
      run: ({ client, flags }) =>
        client.apiKeys.list(
          defined({
            subject: flags.subject,
            type: flags.type,
            includeInvalid: flags.includeInvalid ? true : undefined,
            limit: integer(flags, 'limit'),
            offset: integer(flags, 'offset'),
            query: flags.query,
          }),
        ),
      render(list, { color, flags }) {
        const offset = integer(flags, 'offset') ?? 0;
        if (list.data.length === 0) {
          return list.totalCount > 0 ? `No API keys at offset ${offset} (${list.totalCount} in all).\n` : 'No API keys.\n';
        }
        const out = table(
          list.data,
          [
            { header: 'ID', value: (k) => k.id },
            { header: 'NAME', value: (k) => k.name },
            { header: 'SUBJECT', value: (k) => k.subject },
            { header: 'TYPE', value: (k) => k.type },
            { header: 'STATUS', value: keyStatus, status: true },
            { header: 'SCOPES', value: (k) => k.scopes },
            { header: 'EXPIRES', value: (k) => k.expiration },
            { header: 'LAST USED', value: (k) => k.lastUsedAt },
          ],
          { color },
        );
        const last = offset + list.data.length;
        const noun = list.totalCount === 1 ? 'API key' : 'API keys';
        const next = last < list.totalCount ? `; next: --offset ${last}` : '';
        return `${out}\n${paint('dim', `${offset + 1}-${last} of ${list.totalCount} ${noun}${next}`, color)}\n`;
      },
    },
    get: {
      summary: 'Show one API key (without its secret)',
      args: [{ name: 'ID', help: 'The API key id' }],
      examples: ['credport api-keys get key_123'],
      run: ({ client, args }) => client.apiKeys.get(args.ID),
      render: keyDetails,
    },
    update: {
      summary: "Change an API key's claims, scopes, description, subject or expiry",
      description:
        'Only the fields given change. --clear-description, --clear-claims and --no-expiration remove a value;\n' +
        "--scopes '' sets an empty scope list.",
      args: [{ name: 'ID', help: 'The API key id' }],
      flags: {
        description: { value: 'TEXT', help: 'New description' },
        'clear-description': { help: 'Remove the description' },
        claims: { value: 'JSON', help: 'New claims (JSON), replacing the old ones' },
        'clear-claims': { help: 'Remove the claims' },
        ...scopeFlags,
        subject: { value: 'SUBJECT', help: 'New subject' },
        'seconds-until-expiration': { value: 'N', help: 'Expire this many seconds from now' },
        'no-expiration': { help: 'Never expire' },
      },
      examples: [
        'credport api-keys update key_123 --description "CI deploys" --scopes read,write',
        'credport api-keys update key_123 --clear-description --no-expiration',
      ],
      run({ client, flags, args }) {
        const pairs = [
          ['description', 'clear-description'],
          ['claims', 'clear-claims'],
          ['seconds-until-expiration', 'no-expiration'],
        ];
        for (const [set, clear] of pairs) {
          if (flags[camel(set)] !== undefined && flags[camel(clear)]) {
            throw new UsageError(`--${set} and --${clear} cannot be used together`);
          }
        }
        const params = defined({
          description: flags.clearDescription ? null : flags.description,
          claims: flags.clearClaims ? null : json(flags, 'claims'),
          scopes: scopes(flags),
          subject: flags.subject,
          secondsUntilExpiration: flags.noExpiration ? null : integer(flags, 'seconds-until-expiration'),
        });
        if (Object.keys(params).length === 0) {
          throw new UsageError(
            'nothing to update: give at least one of --description, --clear-description, --claims, --clear-claims, ' +
              '--scope, --scopes, --subject, --seconds-until-expiration, --no-expiration',
          );
        }
        return client.apiKeys.update(args.ID, params);
      },
      render: (k, options) => `${keyDetails(k, options)}\nUpdated API key ${k.id}.\n`,
    },
    delete: {
      summary: 'Delete an API key for good',
      args: [{ name: 'ID', help: 'The API key id' }],
      examples: ['credport api-keys delete key_123'],
      run: ({ client, args }) => client.apiKeys.delete(args.ID),
      render: (d) => `Deleted API key ${d.id}.\n`,
    },
    secret: {
      summary: "Print an API key's secret",
      description: 'This command exists to print a secret. Without --json it prints the secret alone, for $(...).',
      args: [{ name: 'ID', help: 'The API key id' }],
      examples: ['credport api-keys secret key_123', 'export MY_KEY="$(credport api-keys secret key_123)"'],
      run: ({ client, args }) => client.apiKeys.getSecret(args.ID),
      render: (s) => `${s.secret}\n`,
    },
    revoke: {
      summary: 'Revoke an API key: it fails verification from now on',
      args: [{ name: 'ID', help: 'The API key id' }],
      flags: {
        'revocation-reason': { value: 'TEXT', help: 'Why the key was revoked' },
      },
      examples: ['credport api-keys revoke key_123 --revocation-reason "leaked in a log"'],
      run: ({ client, flags, args }) => client.apiKeys.revoke(args.ID, defined({ revocationReason: flags.revocationReason })),
      render: (k, options) => `${keyDetails(k, options)}\nRevoked API key ${k.id}: calls with its secret are refused from now on.\n`,
    },
    verify: {
      summary: 'Check a secret: valid, or why not (NOT_FOUND, REVOKED, EXPIRED)',
      description:
        'An invalid secret is a result, not an error: the exit code is 0 either way; read "Valid" or, with --json, `valid`.\n' +
        'Give - as SECRET to read it from stdin (keeps it out of the shell history).',
      args: [{ name: 'SECRET', help: 'The secret (cpk_…), or - to read it from stdin' }],
      examples: ['credport api-keys verify cpk_…', 'printf %s "$KEY" | credport api-keys verify - --json'],
      run: async ({ client, args, stdin }) => client.apiKeys.verify(args.SECRET === '-' ? await stdin() : args.SECRET),
      render(v, { color }) {
        const k = v.apiKey;
        return details(
          [
            ['Valid', v.valid],
            ['Code', v.code, { status: true }],
            ...(k
              ? [
                  ['ID', k.id],
                  ['Name', k.name],
                  ['Subject', k.subject],
                  ['Scopes', k.scopes],
                  ['Expires', k.expiration],
                ]
              : []),
          ],
          { color },
        );
      },
    },
  },
};

// ---------------------------------------------------------------- personal access tokens

function tokenPairs(t) {
  return [
    ['ID', t.id],
    ['Name', t.name],
    ['User', t.userId],
    ['State', t.state, { status: true }],
    ['Scopes', t.scopes],
    ['Expires', t.expiresAt],
    ['Last used', t.lastUsedAt],
    ...(t.revokedAt ? [['Revoked', t.revokedAt], ['Revoked by', t.revokedBy]] : []),
    ['Created', t.createdAt],
    ['Updated', t.updatedAt],
  ];
}

const tokens = {
  summary: 'Your personal access tokens (cpat_…) for the site',
  subcommands: {
    create: {
      summary: 'Create a token for your user and print it',
      description: "The token (cpat_…) is printed once here and never again. Without scopes it gets all of yours.",
      flags: {
        name: { value: 'NAME', help: 'Name of the token (required)' },
        'expires-at': { value: 'TIME', help: 'RFC 3339 time in the future, e.g. 2030-01-01T00:00:00Z (default: when your own token expires, else never)' },
        ...scopeFlags,
      },
      examples: ['credport tokens create --name laptop --scopes connections:read,credentials:read --expires-at 2030-01-01T00:00:00Z'],
      run: ({ client, flags }) =>
        client.personalAccessTokens.create(defined({ name: flags.name, expiresAt: flags.expiresAt, scopes: scopes(flags) })),
      render: (t, { color }) =>
        `${details([...tokenPairs(t), ['Token', t.token]], { color })}\n` +
        `${paint('yellow', 'Store the token now: it is shown only this once.', color)}\n`,
    },
    list: {
      summary: "List your user's tokens (never the tokens themselves)",
      examples: ['credport tokens list', 'credport tokens list --json'],
      run: ({ client }) => client.personalAccessTokens.list(),
      render(list, { color }) {
        if (list.data.length === 0) return 'No tokens.\n';
        const out = table(
          list.data,
          [
            { header: 'ID', value: (t) => t.id },
            { header: 'NAME', value: (t) => t.name },
            { header: 'USER', value: (t) => t.userId },
            { header: 'STATE', value: (t) => t.state, status: true },
            { header: 'SCOPES', value: (t) => t.scopes },
            { header: 'EXPIRES', value: (t) => t.expiresAt },
            { header: 'LAST USED', value: (t) => t.lastUsedAt },
          ],
          { color },
        );
        return `${out}\n${paint('dim', `${list.totalCount} ${list.totalCount === 1 ? 'token' : 'tokens'}`, color)}\n`;
      },
    },
    get: {
      summary: 'Show one token',
      args: [{ name: 'ID', help: 'The token id' }],
      examples: ['credport tokens get pat_123'],
      run: ({ client, args }) => client.personalAccessTokens.get(args.ID),
      render: (t, { color }) => details(tokenPairs(t), { color }),
    },
    revoke: {
      summary: 'Revoke a token: every call made with it fails from now on',
      args: [{ name: 'ID', help: 'The token id' }],
      examples: ['credport tokens revoke pat_123'],
      run: ({ client, args }) => client.personalAccessTokens.revoke(args.ID),
      render: (t, { color }) => `${details(tokenPairs(t), { color })}\nRevoked token ${t.id}: calls made with it fail from now on.\n`,
    },
  },
};

/** The command tree. */
export const commands = { connections, 'api-keys': apiKeys, tokens };
