// A site's audit log: every change and every read of a secret, newest first, filtered by type and
// by target (the filters are in the address); older events come a page at a time through the
// log's cursor, added below the ones shown, so the place being read and the focus stay.
import { busy, empty, errorBox, field, h, loading, table, tableRows, time } from '../dom.mjs';

const PAGE_SIZE = 50;
const COLUMNS = ['When', 'Type', 'Actor', 'Target', 'Details'];
/** The types docs/events.md lists, offered as the type filter's suggestions (any type can be typed). */
const KNOWN_TYPES = [
  'site.created',
  'connection.created', 'connection.updated', 'connection.deleted', 'connection.refreshed', 'connection.refresh_failed', 'connection.invalidated',
  'credentials.read', 'connect.created', 'connect.opened', 'connect.succeeded', 'connect.failed',
  'provider_config.created', 'provider_config.updated', 'provider_config.deleted',
  'api_key.created', 'api_key.updated', 'api_key.revoked', 'api_key.deleted', 'api_key.secret_read',
  'token.created', 'token.revoked',
  'webhook_endpoint.created', 'webhook_endpoint.updated', 'webhook_endpoint.deleted', 'webhook_endpoint.disabled',
];

export function eventsView(site, { site: info, query, navigate, consoleHref }) {
  const filters = { type: query.get('type') ?? '', target: query.get('target') ?? '' };
  const here = (changes = {}) => consoleHref({ site: info.id, tab: 'events', ...filters, ...changes });
  const params = { type: filters.type || undefined, targetId: filters.target || undefined, limit: PAGE_SIZE };
  const list = h('div', { class: 'list' }, loading('the events'));

  const rows = (events) => tableRows(COLUMNS, events.map((event) => ({
    dataset: { eventId: event.id, type: event.type },
    cells: [
      time(event.at),
      h('code', {}, event.type),
      actor(event.actor),
      h('div', {}, h('span', { class: 'muted' }, `${event.target.type} `),
        h('a', { href: here({ target: event.target.id }), title: 'Only the events of this target' }, h('code', {}, event.target.id))),
      details(event),
    ],
  })));

  /** The "load more" line under the table: a button while the log has older events. */
  const more = (body, cursor) => {
    // Focusable, so that the focus has somewhere to go when the button it was on goes.
    if (!cursor) return h('p', { class: 'muted', tabindex: '-1' }, 'That is the oldest event.');
    const place = h('div', { class: 'problem' });
    const button = h('button', { type: 'button', onclick: async () => {
      const page = await busy(button, 'Loading older events…', place, () => site.events.list({ ...params, cursor }));
      if (!page) return;
      body.append(...rows(page.data));
      const next = more(body, page.nextCursor);
      line.replaceWith(next);
      (next.querySelector('button') ?? next).focus();
    } }, 'Load older events');
    const line = h('div', { class: 'pager' }, button, place);
    return line;
  };

  site.events.list(params).then(
    (page) => {
      if (page.data.length === 0) {
        list.replaceChildren(empty(filters.type || filters.target
          ? 'No event matches these filters: clear them to see every event.'
          : 'No events yet. Every change to this site, and every read of a secret, is recorded here.'));
        return;
      }
      const shown = table('Events, newest first', COLUMNS, []);
      const body = shown.tBodies[0];
      body.append(...rows(page.data));
      list.replaceChildren(shown, more(body, page.nextCursor));
    },
    (error) => list.replaceChildren(errorBox(error)),
  );

  const type = h('input', { name: 'type', value: filters.type, list: 'known-event-types', autocomplete: 'off', spellcheck: 'false' });
  const types = h('datalist', { id: 'known-event-types' }, KNOWN_TYPES.map((t) => h('option', { value: t })));
  const target = h('input', { name: 'target', value: filters.target, autocomplete: 'off', spellcheck: 'false' });
  const filterForm = h('form', { class: 'filters', role: 'search', onsubmit: (event) => {
    event.preventDefault();
    navigate(here({ type: type.value.trim(), target: target.value.trim() }));
  } },
  field('Type', type, 'Such as connection.updated.'), types,
  field('Target id', target, 'A connection, key, token or endpoint id.'),
  h('button', { type: 'submit' }, 'Filter'),
  filters.type || filters.target ? h('a', { href: here({ type: '', target: '' }) }, 'Clear filters') : null);

  return h('div', {}, filterForm, list);
}

/** Who acted: the admin token, a personal access token (its id and user, never the token), or the server. */
function actor({ type, tokenId, userId }) {
  if (type === 'token') return h('div', {}, userId ?? 'a token', h('br'), h('small', { class: 'muted' }, tokenId ? `token ${tokenId}` : 'token'));
  if (type === 'server') return 'credport-server';
  return type;
}

/** What changed, by name (`status: active → invalid`), and the request that did it. */
function details(event) {
  const entries = Object.entries(event.data ?? {});
  const said = entries.map(([name, value]) => {
    const change = value && typeof value === 'object' && !Array.isArray(value) && 'from' in value && 'to' in value;
    return h('li', {}, h('code', {}, name), ': ', change ? `${show(value.from)} → ${show(value.to)}` : show(value));
  });
  return h('div', { class: 'event-details' },
    said.length ? h('ul', {}, said) : null,
    event.requestId ? h('small', { class: 'muted' }, `request ${event.requestId}`) : null);
}

/** A value of `data` as text: strings as they are, anything else as JSON. */
function show(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
