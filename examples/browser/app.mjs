// The credport admin page: asks for a base URL and a personal access token, then lists the site's
// connections with their status and its API keys, each with a button that revokes it.
import { Credport, APIConnectionError, AuthenticationError, PermissionDeniedError } from 'credport';

const form = document.querySelector('#connect');
const message = document.querySelector('#message');
const connectionsBody = document.querySelector('#connections');
const keysBody = document.querySelector('#keys');
let client = null; // kept in memory only, for this page's life: the token is never stored
let baseUrl = '';

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  baseUrl = String(data.get('baseUrl')).trim();
  // The token is in the page anyway: the SDK only starts here when told so (see the page's notice).
  try {
    client = new Credport({
      apiKey: String(data.get('token')).trim(),
      baseUrl,
      dangerouslyAllowBrowser: true,
      maxRetries: 1,
    });
  } catch (error) {
    return fail(error); // e.g. an InvalidArgumentError for a base URL that is not one
  }
  await load();
});

keysBody.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action="revoke"]');
  if (!button || !client) return;
  const row = button.closest('tr');
  button.disabled = true;
  setState('busy', `Revoking ${row.dataset.name}…`);
  try {
    const key = await client.apiKeys.revoke(row.dataset.keyId, { revocationReason: 'revoked from the admin page' });
    await loadKeys();
    setState('ready', `Revoked ${key.name} (${key.subject}).`);
  } catch (error) {
    button.disabled = false;
    fail(error);
  }
});

async function load() {
  setState('busy', 'Loading…');
  try {
    await Promise.all([loadConnections(), loadKeys()]);
    setState('ready', `Loaded ${connectionsBody.rows.length} connection(s) and ${keysBody.rows.length} API key(s).`);
  } catch (error) {
    fail(error);
  }
}

async function loadConnections() {
  const rows = [];
  for await (const connection of client.connections.listAll({ pageSize: 100 })) {
    const status = connection.isActive && connection.isExpired ? 'active, token expired' : connection.status;
    const row = tr([
      connection.provider,
      connection.providerConfigKey,
      connection.rootResourceName ?? connection.rootResourceId ?? '',
      cell(status, `status-${connection.status}`),
      connection.tokenExpiresAt ?? '—',
    ]);
    Object.assign(row.dataset, { connectionId: connection.id, provider: connection.provider, status: connection.status });
    rows.push(row);
  }
  connectionsBody.replaceChildren(...rows);
  document.querySelector('#connections-section').hidden = false;
}

async function loadKeys() {
  const rows = [];
  for await (const key of client.apiKeys.listAll({ includeInvalid: true })) {
    const state = key.revoked ? 'revoked' : key.expired ? 'expired' : 'valid';
    const button = document.createElement('button');
    Object.assign(button, { type: 'button', textContent: 'Revoke', disabled: state !== 'valid' });
    button.dataset.action = 'revoke';
    const row = tr([key.name, key.subject, key.scopes.join(' ') || '—', cell(state, `key-${state}`), cell(button)]);
    Object.assign(row.dataset, { keyId: key.id, name: key.name, state });
    rows.push(row);
  }
  keysBody.replaceChildren(...rows);
  document.querySelector('#keys-section').hidden = false;
}

/** What went wrong, said for the person at the page. */
function fail(error) {
  let text = `${error.name}: ${error.message}`;
  if (error instanceof AuthenticationError) text = 'The token was refused: check it, or make a new one.';
  else if (error instanceof PermissionDeniedError) text = `The token lacks a scope: ${error.message}`;
  else if (error instanceof APIConnectionError) {
    text = `No answer from ${baseUrl}: is it running, and does its CREDPORT_CORS_ORIGINS include ${location.origin}?`;
  }
  setState('error', text);
  console.error(error);
}

function setState(state, text) {
  document.body.dataset.state = state;
  message.textContent = text;
  message.className = state === 'error' ? 'error' : '';
}

function cell(content, className) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  if (className) td.className = className;
  return td;
}

function tr(cells) {
  const row = document.createElement('tr');
  row.append(...cells.map((c) => (c instanceof Node ? c : cell(String(c)))));
  return row;
}
