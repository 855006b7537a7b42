// Personal access tokens by user: list (all users, or one), create (the token is shown once,
// with a copy button, and is gone from the page when its dialog closes), revoke.
import { busy, confirmAction, dialog, empty, errorBox, field, h, loading, showInList, showOnce, table, time } from '../dom.mjs';
import { localTime } from '../forms.mjs';

const SCOPES = ['connections:read', 'credentials:read', 'api_keys:read', 'api_keys:write', 'tokens:write'];

export function tokensView(site, { site: info, query, navigate, consoleHref }) {
  const userFilter = query.get('user') ?? '';
  const list = h('div', { class: 'list', tabindex: -1 }, loading('the tokens'));
  const reload = () => {
    showInList(list, loading('the tokens'));
    return site.personalAccessTokens.list({ userId: userFilter || undefined }).then(({ data }) => showInList(list, render(data)), (error) => showInList(list, errorBox(error)));
  };

  const render = (tokens) => {
    if (tokens.length === 0) {
      return empty(userFilter ? `${userFilter} has no tokens: create one with “Create a token”, or ` : 'No tokens yet. A token lets one user’s app call credport for this site: create one with “Create a token”.',
        userFilter ? h('a', { href: consoleHref({ site: info.id, tab: 'tokens' }) }, 'show every user’s') : null, userFilter ? '.' : null);
    }
    return table('Personal access tokens', ['Name', 'User', 'State', 'Scopes', 'Last used', 'Expires', 'Actions'], tokens.map((token) => {
      const place = h('div', { class: 'problem' });
      const revoke = h('button', { type: 'button', class: 'danger', onclick: async () => {
        const sure = await confirmAction('Revoke this token?', `${token.name} (${token.userId}) stops working at once, for good.`, 'Revoke token');
        if (sure && (await busy(revoke, 'Revoking…', place, () => site.personalAccessTokens.revoke(token.id)))) reload();
      } }, 'Revoke');
      return {
        dataset: { tokenId: token.id, state: token.state },
        cells: [
          h('div', {}, h('strong', {}, token.name), h('br'), h('small', { class: 'muted' }, token.id)),
          token.userId,
          h('span', { class: `badge state-${token.state.toLowerCase()}` }, token.state.toLowerCase()),
          h('small', {}, token.scopes.join(' ')),
          time(token.lastUsedAt, { none: 'never' }),
          time(token.expiresAt, { none: 'never' }),
          h('div', { class: 'row-actions' }, token.state === 'ACTIVE' ? revoke : null, place),
        ],
      };
    }));
  };

  const user = h('input', { name: 'user', value: userFilter, autocomplete: 'off' });
  const filterForm = h('form', { class: 'filters', role: 'search', onsubmit: (event) => {
    event.preventDefault();
    navigate(consoleHref({ site: info.id, tab: 'tokens', user: user.value.trim() }));
  } }, field('User id', user), h('button', { type: 'submit' }, 'Show'),
  userFilter ? h('a', { href: consoleHref({ site: info.id, tab: 'tokens' }) }, 'All users') : null);

  const create = h('button', { type: 'button', class: 'primary', onclick: async () => {
    if (await createDialog(site, userFilter)) reload();
  } }, 'Create a token');
  reload();
  return h('div', {}, h('div', { class: 'toolbar' }, create), filterForm, list);
}

function createDialog(site, userId) {
  return dialog('Create a personal access token', (close) => {
    const user = h('input', { name: 'userId', required: true, value: userId, autocomplete: 'off' });
    const name = h('input', { name: 'name', required: true, autocomplete: 'off' });
    const expires = h('input', { type: 'datetime-local', name: 'expiresAt' });
    const scopes = SCOPES.map((scope) => h('input', { type: 'checkbox', name: 'scopes', value: scope, checked: true }));
    const place = h('div', { class: 'problem' });
    const save = h('button', { type: 'submit', class: 'primary' }, 'Create token');
    const form = h('form', { onsubmit: async (event) => {
      event.preventDefault();
      const chosen = scopes.filter((box) => box.checked).map((box) => box.value);
      const created = await busy(save, 'Creating…', place, () => {
        if (chosen.length === 0) throw new Error('Scopes: choose at least one.');
        return site.personalAccessTokens.create({ userId: user.value.trim(), name: name.value.trim(), scopes: chosen, expiresAt: localTime(expires.value) });
      });
      if (!created) return;
      // The token is shown here once, in place of the form; closing the dialog removes it.
      showOnce(form, {
        message: `Copy the token of ${created.name} now: it is shown only this once.`,
        value: created.token,
        label: 'New token',
        done: () => close(created.id),
      });
    } },
    field('User id', user), field('Name', name, 'What it is for, such as "billing backend".'),
    h('fieldset', {}, h('legend', {}, 'Scopes'), scopes.map((box) => h('label', { class: 'check' }, box, ' ', box.value))),
    field('Expires at (optional)', expires),
    place,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close() }, 'Cancel'), save));
    return form;
  });
}
