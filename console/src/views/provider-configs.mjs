// A site's provider configurations (the OAuth2 clients credport uses to connect and refresh):
// list, create, edit, delete. The client secret is write-only: typed in, never shown. The
// redirect URI to register at the provider is the server's own answer (`redirectUri`, the same
// for every configuration), not guessed from the address this page was reached at: behind a
// proxy the two differ.
import { busy, confirmAction, copyable, dialog, empty, errorBox, field, h, loading, showInList, table, time } from '../dom.mjs';
import { changedNotRemoved, jsonObject, optional, words } from '../forms.mjs';

export function providerConfigsView(site) {
  const list = h('div', { class: 'list', tabindex: -1 }, loading('the provider configurations'));
  const reload = () => {
    showInList(list, loading('the provider configurations'));
    return site.providerConfigs.list().then(({ data }) => showInList(list, render(data)), (error) => showInList(list, errorBox(error)));
  };

  const render = (configs) => {
    if (configs.length === 0) return empty('No provider configurations yet. Add one with the client id and secret the provider gave you, to connect its accounts and keep their tokens fresh; the redirect URI to register at the provider then shows here.');
    return h('div', {}, redirectUriCard(configs[0].redirectUri), table('Provider configurations', ['Key', 'Authorization', 'Token endpoint', 'Client', 'Updated', 'Actions'], configs.map((config) => {
      const place = h('div', { class: 'problem' });
      const remove = h('button', { type: 'button', class: 'danger', onclick: async () => {
        const sure = await confirmAction('Delete this provider configuration?', `${config.key}: its connections can no longer be refreshed or connected again.`, 'Delete configuration');
        if (sure && (await busy(remove, 'Deleting…', place, () => site.providerConfigs.delete(config.key)))) reload();
      } }, 'Delete');
      const edit = h('button', { type: 'button', onclick: async () => {
        if (await configDialog(site, config)) reload();
      } }, 'Edit');
      return {
        dataset: { key: config.key },
        cells: [
          h('div', {}, h('strong', {}, config.key), h('br'), h('small', { class: 'muted' }, config.provider)),
          config.authorizationUrl ? h('span', { class: 'url' }, config.authorizationUrl) : h('span', { class: 'muted' }, 'none: refresh only'),
          h('span', { class: 'url' }, config.tokenUrl),
          h('div', {}, h('code', {}, config.clientId), h('br'), h('small', { class: 'muted' }, `${config.authMethod}${config.scopes.length ? ` · ${config.scopes.join(' ')}` : ''}`)),
          time(config.updatedAt),
          h('div', { class: 'row-actions' }, edit, remove, place),
        ],
      };
    })));
  };

  const add = h('button', { type: 'button', class: 'primary', onclick: async () => {
    if (await configDialog(site, null)) reload();
  } }, 'Add a provider configuration');
  reload();
  return h('div', {}, h('div', { class: 'toolbar' }, add), list);
}

/** The server's redirect URI (one for every configuration), to copy into the provider's settings. */
function redirectUriCard(redirectUri) {
  return h('section', { class: 'card', 'aria-labelledby': 'redirect-uri-title' },
    h('h2', { id: 'redirect-uri-title' }, 'Redirect URI'),
    h('p', {}, 'Register this address at the provider as the OAuth redirect (callback) URI, exactly. It is credport-server’s public address (', h('code', {}, 'CREDPORT_PUBLIC_URL'), ') followed by ', h('code', {}, '/oauth/callback'), ', the same for every configuration.'),
    copyable(redirectUri, 'Redirect URI'));
}

/** The create form (`config` null) or the edit form of `config`; resolves with the saved one. */
function configDialog(site, config) {
  const editing = config !== null;
  return dialog(editing ? `Edit ${config.key}` : 'Add a provider configuration', (close) => {
    const key = h('input', { name: 'key', required: true, autocomplete: 'off' });
    const provider = h('input', { name: 'provider', required: true, value: config?.provider ?? '', autocomplete: 'off' });
    const authorizationUrl = h('input', { type: 'url', name: 'authorizationUrl', value: config?.authorizationUrl ?? '', autocomplete: 'off' });
    const tokenUrl = h('input', { type: 'url', name: 'tokenUrl', required: true, value: config?.tokenUrl ?? '', autocomplete: 'off' });
    const clientId = h('input', { name: 'clientId', required: true, value: config?.clientId ?? '', autocomplete: 'off' });
    const clientSecret = h('input', { type: 'password', name: 'clientSecret', required: !editing, autocomplete: 'new-password' });
    const authMethod = h('select', { name: 'authMethod' }, ['client_secret_basic', 'client_secret_post'].map((m) => h('option', { value: m, selected: m === config?.authMethod }, m)));
    const scopes = h('input', { name: 'scopes', value: config?.scopes.join(' ') ?? '', autocomplete: 'off' });
    const margin = h('input', { type: 'number', name: 'refreshMarginSeconds', min: 0, max: 86400, value: String(config?.refreshMarginSeconds ?? 300) });
    const params = h('textarea', { name: 'authorizationParams', rows: 3, spellcheck: 'false', placeholder: '{"access_type": "offline", "prompt": "consent"}' },
      config && Object.keys(config.authorizationParams ?? {}).length ? JSON.stringify(config.authorizationParams, null, 2) : '');
    const place = h('div', { class: 'problem' });
    const save = h('button', { type: 'submit', class: 'primary' }, editing ? 'Save' : 'Add configuration');
    return h('form', { onsubmit: async (event) => {
      event.preventDefault();
      const values = {
        provider: provider.value.trim(),
        authorizationUrl: optional(authorizationUrl.value),
        authorizationParams: jsonObject(params.value, 'Authorization parameters'),
        tokenUrl: tokenUrl.value.trim(),
        clientId: clientId.value.trim(),
        authMethod: authMethod.value,
        scopes: words(scopes.value),
        refreshMarginSeconds: Number(margin.value),
      };
      const secret = clientSecret.value;
      const saved = await busy(save, 'Saving…', place, () => {
        if (!editing) return site.providerConfigs.create({ key: key.value.trim(), ...values, clientSecret: secret });
        changedNotRemoved(authorizationUrl.value, config.authorizationUrl, 'Authorization URL');
        return site.providerConfigs.update(config.key, { ...values, ...(secret ? { clientSecret: secret } : {}) });
      });
      if (saved) close(saved);
    } },
    editing ? null : field('Key', key, 'Unique in the site, such as google-prod; connections name it.'),
    field('Provider', provider, 'Its code, such as google.'),
    field('Authorization URL', authorizationUrl, editing
      ? 'Where a person approves access (https, or http on this machine). Once set it can be changed, not removed.'
      : 'Where a person approves access (https, or http on this machine). Leave blank to only refresh tokens.'),
    field('Token URL', tokenUrl),
    field('Client id', clientId),
    field('Client secret', clientSecret, editing ? 'Write-only: leave blank to keep the stored secret. A token URL on another host needs it again.' : 'Write-only: stored encrypted, never shown again.'),
    field('Client authentication', authMethod),
    field('Scopes', scopes, 'Separated by spaces or commas.'),
    field('Refresh margin (seconds)', margin, 'A token expiring within this is refreshed before it is handed out.'),
    field('Authorization parameters (a JSON object)', params),
    place,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close() }, 'Cancel'), save));
  });
}
