// A site's API keys (the keys it issues to its own users and machines): list, revoke.
import { busy, dialog, empty, errorBox, field, h, loading, showInList, table, time } from '../dom.mjs';
import { optional } from '../forms.mjs';

const PAGE_SIZE = 50;

export function apiKeysView(site, { site: info, query, navigate, consoleHref }) {
  const filters = { q: query.get('q') ?? '', all: query.get('all') === '1', offset: Number(query.get('offset')) || 0 };
  const here = (changes = {}) => consoleHref({ site: info.id, tab: 'api-keys', q: filters.q, all: filters.all ? '1' : '', offset: filters.offset || '', ...changes });
  const list = h('div', { class: 'list', tabindex: -1 }, loading('the API keys'));
  const reload = () => {
    showInList(list, loading('the API keys'));
    return site.apiKeys
      .list({ includeInvalid: filters.all, query: filters.q || undefined, limit: PAGE_SIZE, offset: filters.offset })
      .then((page) => showInList(list, render(page)), (error) => showInList(list, errorBox(error)));
  };

  const render = ({ data, totalCount }) => {
    if (data.length === 0) {
      if (filters.q) {
        return empty(`No ${filters.all ? '' : 'valid '}API key matches “${filters.q}”. `, h('a', { href: here({ q: '', offset: '' }) }, 'Clear the search'),
          filters.all ? '.' : ', or include revoked and expired keys.');
      }
      return empty(filters.all ? 'No API keys yet.' : 'No valid API keys: revoked and expired ones show with “Include revoked and expired”.',
        ' The site’s apps create them (POST /v1/api_keys with a token that has api_keys:write).');
    }
    const rows = data.map((key) => {
      const place = h('div', { class: 'problem' });
      const state = key.revoked ? 'revoked' : key.expired ? 'expired' : 'valid';
      const revoke = h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (await revokeDialog(site, key)) reload();
      } }, 'Revoke');
      return {
        dataset: { keyId: key.id, state },
        cells: [
          h('div', {}, h('strong', {}, key.name), h('br'), h('small', { class: 'muted' }, key.id)),
          key.subject,
          h('div', {}, h('span', { class: `badge state-${state}` }, state), key.revocationReason ? h('small', { class: 'muted' }, ` ${key.revocationReason}`) : null),
          h('small', {}, key.scopes.join(' ')),
          time(key.lastUsedAt, { none: 'never' }),
          time(key.expiration, { none: 'never' }),
          h('div', { class: 'row-actions' }, state === 'valid' ? revoke : null, place),
        ],
      };
    });
    const pager = h('div', { class: 'pager' },
      h('span', {}, `${totalCount} key${totalCount === 1 ? '' : 's'}`),
      filters.offset > 0 ? h('a', { href: here({ offset: Math.max(0, filters.offset - PAGE_SIZE) || '' }) }, '← Previous') : null,
      filters.offset + data.length < totalCount ? h('a', { href: here({ offset: filters.offset + PAGE_SIZE }) }, 'Next →') : null);
    return h('div', {}, table('API keys', ['Name', 'Subject', 'State', 'Scopes', 'Last used', 'Expires', 'Actions'], rows), pager);
  };

  const search = h('input', { type: 'search', name: 'q', value: filters.q, autocomplete: 'off' });
  const all = h('input', { type: 'checkbox', name: 'all', checked: filters.all });
  const filterForm = h('form', { class: 'filters', role: 'search', onsubmit: (event) => {
    event.preventDefault();
    navigate(here({ q: search.value.trim(), all: all.checked ? '1' : '', offset: '' }));
  } },
    field('Name or description', search),
    h('label', { class: 'check' }, all, ' Include revoked and expired'),
    h('button', { type: 'submit' }, 'Search'));
  reload();
  return h('div', {}, filterForm, list);
}

function revokeDialog(site, key) {
  return dialog('Revoke this API key?', (close) => {
    const reason = h('textarea', { name: 'revocationReason', rows: 2 });
    const place = h('div', { class: 'problem' });
    const revoke = h('button', { type: 'submit', class: 'danger' }, 'Revoke key');
    return h('form', { onsubmit: async (event) => {
      event.preventDefault();
      const revoked = await busy(revoke, 'Revoking…', place, () => site.apiKeys.revoke(key.id, { revocationReason: optional(reason.value) }));
      if (revoked) close(revoked);
    } },
    h('p', {}, `${key.name} (${key.subject}) stops verifying at once, for good.`),
    field('Reason (optional, kept with the key)', reason),
    place,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close() }, 'Cancel'), revoke));
  });
}
