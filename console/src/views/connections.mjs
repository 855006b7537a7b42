// A site's connections: the list (status, expiry, last refresh and its error), filtered by
// status and provider; connect a provider (a connect session: the browser goes to the provider
// and comes back here with the result); re-authorize; add one with typed credentials; edit;
// refresh now; delete.
import { busy, confirmAction, dialog, empty, errorBox, field, h, loading, showInList, table, time } from '../dom.mjs';
import { changedNotRemoved, jsonObject, optional, words } from '../forms.mjs';
import { serverBase } from '../session.mjs';

const STATUSES = ['active', 'inactive', 'invalid'];
const PAGE_SIZE = 20;
/** The query parameters the connect's return adds to the console's address. */
const RETURN_PARAMS = ['connect_session', 'result', 'connection_id', 'error'];

export function connectionsView(site, { site: info, query, navigate, consoleHref }) {
  const filters = { status: query.get('status') ?? '', provider: query.get('provider') ?? '', page: Number(query.get('page')) || 1 };
  const here = (changes = {}) => consoleHref({ site: info.id, tab: 'connections', ...filters, ...changes });
  const list = h('div', { class: 'list', tabindex: -1 }, loading('the connections'));
  const actionProblem = h('div', { class: 'problem' });
  let configs = [];

  const reload = () => {
    showInList(list, loading('the connections'));
    return site.connections
      .list({ page: filters.page, pageSize: PAGE_SIZE, provider: filters.provider || undefined, status: filters.status || undefined })
      .then((page) => showInList(list, render(page)), (error) => showInList(list, errorBox(error)));
  };

  /** Sends the browser to the provider through a new connect session; back here afterwards. */
  const connect = async (button, providerConfigKey, connectionId, place) => {
    const session = await busy(button, 'Opening the provider…', place, () =>
      site.connectSessions.create({ providerConfigKey, connectionId, returnUrl: returnUrl(providerConfigKey) }),
    { leaving: true });
    if (session) location.assign(session.url);
  };

  /**
   * This view on the server's public address (CREDPORT_PUBLIC_URL, which the server takes return
   * addresses on): the console may be open at another address of the same server (localhost for
   * 127.0.0.1, an internal name), and the person comes back to the public one. The public address
   * is where the configuration's redirect URI is.
   */
  const returnUrl = (providerConfigKey) => {
    const redirectUri = configs.find((c) => c.key === providerConfigKey)?.redirectUri;
    const publicBase = redirectUri ? redirectUri.replace(/\/oauth\/callback$/, '') : serverBase;
    return `${publicBase}/console${new URL(here({ page: undefined }), location.href).search}`;
  };

  const render = (page) => {
    if (page.payload.length === 0) {
      const filtered = filters.status || filters.provider;
      return empty(filtered
        ? 'No connection matches these filters: clear them to see every connection.'
        : 'No connections yet. Connect a provider (a person approves at the provider and comes back here), or add one with credentials you already have.');
    }
    const rows = page.payload.map((connection) => {
      const place = h('div', { class: 'problem' });
      const config = configs.find((c) => c.key === connection.providerConfigKey);
      const oauth = connection.credentials.type === 'oauth2';
      const refresh = h('button', { type: 'button', onclick: async () => {
        const done = await busy(refresh, 'Refreshing…', place, () => site.connections.refresh(connection.id));
        if (done) reload();
      } }, 'Refresh now');
      const reauthorize = h('button', { type: 'button', onclick: () => connect(reauthorize, connection.providerConfigKey, connection.id, place) }, 'Re-authorize');
      const remove = h('button', { type: 'button', class: 'danger', onclick: async () => {
        const sure = await confirmAction('Delete this connection?', `The ${connection.provider} connection ${connection.id} and its credentials are deleted for good; apps using it lose access.`, 'Delete connection');
        if (sure && (await busy(remove, 'Deleting…', place, () => site.connections.delete(connection.id)))) reload();
      } }, 'Delete');
      const edit = h('button', { type: 'button', onclick: async () => {
        if (await editDialog(site, connection)) reload();
      } }, 'Edit');
      return {
        dataset: { connectionId: connection.id, provider: connection.provider, status: connection.status },
        cells: [
          h('div', {}, h('strong', {}, connection.provider), h('br'), h('small', { class: 'muted' }, connection.providerConfigKey)),
          connection.rootResourceName ?? connection.rootResourceId ?? h('span', { class: 'muted' }, '—'),
          h('div', {},
            h('span', { class: `badge status-${connection.status}` }, connection.status),
            ' ', h('small', { class: 'muted' }, connection.credentials.type),
            connection.refreshError
              ? h('p', { class: 'refresh-error' }, `Refresh failed: ${connection.refreshError.message} (${connection.refreshError.code}), `, time(connection.refreshError.at))
              : null),
          connection.tokenExpiresAt ? time(connection.tokenExpiresAt, { prefix: connection.isExpired ? 'expired' : 'expires' }) : h('span', { class: 'muted' }, 'no expiry'),
          time(connection.lastRefreshedAt, { none: 'never' }),
          h('div', { class: 'row-actions' },
            oauth ? refresh : null,
            oauth && config?.authorizationUrl && connection.status !== 'active' ? reauthorize : null,
            edit, remove, place),
        ],
      };
    });
    const pager = h('div', { class: 'pager' },
      h('span', {}, `${page.count} connection${page.count === 1 ? '' : 's'}, page ${page.page}`),
      page.previous ? h('a', { href: here({ page: page.previous }) }, '← Previous') : null,
      page.next ? h('a', { href: here({ page: page.next }) }, 'Next →') : null);
    return h('div', {}, table('Connections', ['Provider', 'Account', 'Status', 'Token', 'Last refresh', 'Actions'], rows), pager);
  };

  const connectButton = h('button', { type: 'button', class: 'primary', onclick: async () => {
    // Clicked before the configurations arrived: wait for them rather than say there are none.
    // When they could not be read, that error is already shown.
    if (!(await busy(connectButton, 'Loading…', null, () => configsLoaded))) return;
    const connectable = configs.filter((c) => c.authorizationUrl);
    if (connectable.length === 0) {
      actionProblem.replaceChildren(h('p', { class: 'error', role: 'alert' },
        'No provider configuration has an authorization URL yet: ',
        h('a', { href: consoleHref({ site: info.id, tab: 'providers' }) }, 'add one'), ' first.'));
      return;
    }
    actionProblem.replaceChildren();
    await dialog('Connect a provider', (close) => connectForm(connectable, close, connect));
  } }, 'Connect a provider');
  const addButton = h('button', { type: 'button', onclick: async () => {
    if (await addDialog(site, configs)) reload();
  } }, 'Add with credentials');

  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'any status'),
    STATUSES.map((s) => h('option', { value: s, selected: s === filters.status }, s)));
  const provider = h('input', { name: 'provider', value: filters.provider, list: 'known-providers', autocomplete: 'off' });
  const providers = h('datalist', { id: 'known-providers' });
  const filterForm = h('form', { class: 'filters', role: 'search', onsubmit: (event) => {
    event.preventDefault();
    navigate(here({ status: status.value, provider: provider.value.trim(), page: undefined }));
  } },
  field('Status', status), field('Provider', provider), providers,
  h('button', { type: 'submit' }, 'Filter'),
  filters.status || filters.provider ? h('a', { href: here({ status: '', provider: '', page: undefined }) }, 'Clear filters') : null);

  const view = h('div', {}, returnBanner(site, query, info, navigate, consoleHref), h('div', { class: 'toolbar' }, connectButton, addButton), actionProblem, filterForm, list);

  /** Resolves true once `configs` holds the site's provider configurations, false if they could not be read. */
  const configsLoaded = site.providerConfigs.list().then(({ data }) => {
    configs = data;
    providers.replaceChildren(...[...new Set(data.map((c) => c.provider))].map((p) => h('option', { value: p })));
    return true;
  }, (error) => {
    actionProblem.replaceChildren(errorBox(error));
    return false;
  });
  configsLoaded.then(reload);
  return view;
}

/** The connect's result, when the browser just came back from it; the address is then cleaned. */
function returnBanner(site, query, info, navigate, consoleHref) {
  const sessionId = query.get('connect_session');
  if (!sessionId) return null;
  const kept = Object.fromEntries([...query].filter(([name]) => !RETURN_PARAMS.includes(name)));
  history.replaceState(null, '', consoleHref(kept));
  const banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite' }, 'Checking the connect’s result…');
  site.connectSessions.get(sessionId).then(
    (session) => {
      if (session.status === 'succeeded') {
        banner.classList.add('success');
        banner.replaceChildren(`Connected: the connection ${session.connectionId} is active.`);
      } else {
        banner.classList.add('failure');
        // The server's own record only: the address's `error` is anyone's text.
        const why = session.error ? `${session.error.message} (${session.error.code})` : session.status;
        banner.replaceChildren(`The connect did not succeed: ${why}.`);
      }
    },
    (error) => banner.replaceChildren(errorBox(error)),
  );
  return banner;
}

function connectForm(configs, close, connect) {
  const select = h('select', { name: 'providerConfigKey' }, configs.map((c) => h('option', { value: c.key }, `${c.key} (${c.provider})`)));
  const place = h('div', { class: 'problem' });
  const go = h('button', { type: 'submit', class: 'primary' }, 'Continue to the provider');
  return h('form', { onsubmit: (event) => {
    event.preventDefault();
    connect(go, select.value, undefined, place);
  } },
  h('p', {}, 'Your browser goes to the provider’s page to approve access, then comes back here with the result.'),
  field('Provider configuration', select), place,
  h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close() }, 'Cancel'), go));
}

/** The inputs of one credential type; `read()` gives its `fields`. */
function credentialInputs(type) {
  if (type === 'api_key') {
    const key = h('input', { type: 'password', name: 'api_key', required: true, autocomplete: 'off' });
    return { element: field('API key', key), read: () => ({ api_key: key.value }) };
  }
  if (type === 'basic') {
    const user = h('input', { name: 'username', required: true, autocomplete: 'off' });
    const password = h('input', { type: 'password', name: 'password', required: true, autocomplete: 'off' });
    return { element: h('div', {}, field('Username', user), field('Password', password)), read: () => ({ username: user.value, password: password.value }) };
  }
  const fields = h('textarea', { name: 'fields', rows: 4, required: true, spellcheck: 'false', placeholder: '{"merchant_id": "…", "secret": "…"}' });
  return { element: field('Fields (a JSON object)', fields, 'Whatever the provider needs, by name; kept encrypted, never shown again.'), read: () => jsonObject(fields.value, 'Fields') };
}

/** Chooses a credential type and shows its inputs; `read()` gives `{ type, fields }`. */
function credentialsPicker() {
  const type = h('select', { name: 'type' }, ['api_key', 'basic', 'custom'].map((t) => h('option', { value: t }, t)));
  let inputs = credentialInputs(type.value);
  const holder = h('div', {}, inputs.element);
  type.addEventListener('change', () => {
    inputs = credentialInputs(type.value);
    holder.replaceChildren(inputs.element);
  });
  return { element: h('fieldset', {}, h('legend', {}, 'Credentials'), field('Type', type), holder), read: () => ({ type: type.value, fields: inputs.read() }) };
}

function addDialog(site, configs) {
  return dialog('Add a connection with credentials', (close) => {
    const provider = h('input', { name: 'provider', required: true, autocomplete: 'off', list: 'known-providers' });
    const configKey = h('input', { name: 'providerConfigKey', required: true, autocomplete: 'off', list: 'known-config-keys' });
    const keys = h('datalist', { id: 'known-config-keys' }, configs.map((c) => h('option', { value: c.key })));
    const rootId = h('input', { name: 'rootResourceId', autocomplete: 'off' });
    const rootName = h('input', { name: 'rootResourceName', autocomplete: 'off' });
    const scopes = h('input', { name: 'scopes', autocomplete: 'off' });
    const metadata = h('textarea', { name: 'metadata', rows: 3, spellcheck: 'false', placeholder: '{"tenantId": "t-1"}' });
    const credentials = credentialsPicker();
    const place = h('div', { class: 'problem' });
    const save = h('button', { type: 'submit', class: 'primary' }, 'Add connection');
    return h('form', { onsubmit: async (event) => {
      event.preventDefault();
      const created = await busy(save, 'Adding…', place, () => site.connections.create({
        provider: provider.value.trim(),
        providerConfigKey: configKey.value.trim(),
        rootResourceId: optional(rootId.value),
        rootResourceName: optional(rootName.value),
        scopes: words(scopes.value),
        metadata: jsonObject(metadata.value, 'Metadata'),
        credentials: credentials.read(),
      }));
      if (created) close(created);
    } },
    field('Provider', provider, 'Its code, such as shopify or konigle_pay.'),
    field('Provider configuration key', configKey, 'Such as shopify-prod.'), keys,
    credentials.element,
    field('Account id', rootId), field('Account name', rootName),
    field('Scopes', scopes, 'Separated by spaces or commas.'),
    field('Metadata (a JSON object)', metadata),
    place,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close() }, 'Cancel'), save));
  });
}

function editDialog(site, connection) {
  return dialog(`Edit the ${connection.provider} connection`, (close) => {
    const status = h('select', { name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === connection.status }, s)));
    const rootId = h('input', { name: 'rootResourceId', value: connection.rootResourceId ?? '', autocomplete: 'off' });
    const rootName = h('input', { name: 'rootResourceName', value: connection.rootResourceName ?? '', autocomplete: 'off' });
    const scopes = h('input', { name: 'scopes', value: connection.scopes.join(' '), autocomplete: 'off' });
    const metadata = h('textarea', { name: 'metadata', rows: 4, spellcheck: 'false' }, JSON.stringify(connection.metadata, null, 2));
    const replace = h('input', { type: 'checkbox', name: 'replaceCredentials' });
    const credentials = credentialsPicker();
    // Hidden and disabled (its inputs then neither show nor count as required) until asked for.
    Object.assign(credentials.element, { hidden: true, disabled: true });
    replace.addEventListener('change', () => {
      Object.assign(credentials.element, { hidden: !replace.checked, disabled: !replace.checked });
    });
    const place = h('div', { class: 'problem' });
    const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
    return h('form', { onsubmit: async (event) => {
      event.preventDefault();
      const updated = await busy(save, 'Saving…', place, () => site.connections.update(connection.id, {
        status: status.value,
        rootResourceId: changedNotRemoved(rootId.value, connection.rootResourceId, 'Account id'),
        rootResourceName: changedNotRemoved(rootName.value, connection.rootResourceName, 'Account name'),
        scopes: words(scopes.value),
        metadata: jsonObject(metadata.value, 'Metadata'),
        ...(replace.checked ? { credentials: credentials.read() } : {}),
      }));
      if (updated) close(updated);
    } },
    h('p', { class: 'muted' }, h('code', {}, connection.id), ' · ', connection.providerConfigKey),
    field('Status', status),
    field('Account id', rootId, connection.rootResourceId ? 'Once set it can be changed, not removed.' : undefined),
    field('Account name', rootName, connection.rootResourceName ? 'Once set it can be changed, not removed.' : undefined),
    field('Scopes', scopes, 'Separated by spaces or commas.'),
    field('Metadata (a JSON object)', metadata),
    h('label', { class: 'check' }, replace, ' Replace the credentials (clears a refresh error)'),
    credentials.element,
    place,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close() }, 'Cancel'), save));
  });
}
