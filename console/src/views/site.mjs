// One site: its name, the tabs, and the tab's view. Every call below goes through
// `client.site(id)`, the admin client scoped to this site.
import { errorBox, h, loading } from '../dom.mjs';
import { connectionsView } from './connections.mjs';
import { providerConfigsView } from './provider-configs.mjs';
import { tokensView } from './tokens.mjs';
import { apiKeysView } from './api-keys.mjs';
import { eventsView } from './events.mjs';
import { webhooksView } from './webhooks.mjs';

const TABS = [
  { id: 'connections', label: 'Connections', view: connectionsView },
  { id: 'providers', label: 'Provider configurations', view: providerConfigsView },
  { id: 'tokens', label: 'Access tokens', view: tokensView },
  { id: 'api-keys', label: 'API keys', view: apiKeysView },
  { id: 'events', label: 'Events', view: eventsView },
  { id: 'webhooks', label: 'Webhooks', view: webhooksView },
];

export function siteView(client, query, links) {
  const siteId = query.get('site');
  const tab = TABS.find((t) => t.id === query.get('tab')) ?? TABS[0];
  const heading = h('h1', {}, h('span', { class: 'muted' }, 'Site '), h('code', {}, siteId));
  const body = h('div', { class: 'tab' }, loading('the site'));
  document.title = `${tab.label} · credport console`;

  client.sites.list().then(
    ({ data }) => {
      const site = data.find((s) => s.id === siteId);
      if (!site) {
        body.replaceChildren(
          h('p', { class: 'error', role: 'alert' }, `There is no site ${siteId}. `, h('a', { href: links.consoleHref() }, 'Back to the sites')),
        );
        return;
      }
      heading.replaceChildren(site.name, ' ', h('code', { class: 'muted small' }, site.id));
      document.title = `${tab.label} · ${site.name} · credport console`;
      body.replaceChildren(tab.view(client.site(site.id), { site, query, ...links }));
    },
    (error) => body.replaceChildren(errorBox(error)),
  );

  const nav = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Site sections' },
    TABS.map((t) => h('a', { href: links.consoleHref({ site: siteId, tab: t.id }), 'aria-current': t === tab ? 'page' : null }, t.label)),
  );
  return h(
    'section',
    {},
    h('p', { class: 'crumbs' }, h('a', { href: links.consoleHref() }, '← All sites')),
    heading,
    nav,
    body,
  );
}
