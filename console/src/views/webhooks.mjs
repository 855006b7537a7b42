// A site's webhook endpoints: the list (url, event types, status); create (the signing secret is
// shown once, with a copy button, and is gone from the page when its dialog closes); edit; enable
// or disable; delete with a confirmation; and each endpoint's deliveries.
import { busy, confirmAction, dialog, empty, errorBox, field, h, loading, showInList, showOnce, table, time } from '../dom.mjs';
import { optional, words } from '../forms.mjs';

const TYPES_HINT = 'Event types or families, separated by spaces or commas, such as connection.* credentials.read. Empty: every event.';

export function webhooksView(site) {
  const list = h('div', { class: 'list', tabindex: -1 }, loading('the webhook endpoints'));
  const reload = () => {
    showInList(list, loading('the webhook endpoints'));
    return site.webhookEndpoints.list().then(({ data }) => showInList(list, render(data)), (error) => showInList(list, errorBox(error)));
  };

  const render = (endpoints) => {
    if (endpoints.length === 0) {
      return empty('No webhook endpoints yet. An endpoint receives this site’s events as signed POSTs the moment they happen: add one with the button above.');
    }
    return table('Webhook endpoints', ['Endpoint', 'Events', 'Status', 'Created', 'Actions'], endpoints.map((endpoint) => {
      const place = h('div', { class: 'problem' });
      const enabled = endpoint.status === 'enabled';
      const toggle = h('button', { type: 'button', onclick: async () => {
        const status = enabled ? 'disabled' : 'enabled';
        if (await busy(toggle, enabled ? 'Disabling…' : 'Enabling…', place, () => site.webhookEndpoints.update(endpoint.id, { status }))) reload();
      } }, enabled ? 'Disable' : 'Enable');
      const edit = h('button', { type: 'button', onclick: async () => {
        if (await editDialog(site, endpoint)) reload();
      } }, 'Edit');
      const deliveries = h('button', { type: 'button', onclick: () => deliveriesDialog(site, endpoint) }, 'Deliveries');
      const remove = h('button', { type: 'button', class: 'danger', onclick: async () => {
        const sure = await confirmAction('Delete this webhook endpoint?', `${endpoint.url} receives no more events, and its deliveries are deleted with it.`, 'Delete endpoint');
        if (sure && (await busy(remove, 'Deleting…', place, () => site.webhookEndpoints.delete(endpoint.id)))) reload();
      } }, 'Delete');
      return {
        dataset: { endpointId: endpoint.id, status: endpoint.status },
        cells: [
          h('div', {}, h('span', { class: 'url' }, endpoint.url),
            endpoint.description ? h('div', {}, endpoint.description) : null,
            h('small', { class: 'muted' }, endpoint.id)),
          endpoint.types.length ? h('small', {}, endpoint.types.join(' ')) : h('span', { class: 'muted' }, 'every event'),
          h('span', { class: `badge status-${endpoint.status}` }, endpoint.status),
          time(endpoint.createdAt),
          h('div', { class: 'row-actions' }, deliveries, edit, toggle, remove, place),
        ],
      };
    }));
  };

  const create = h('button', { type: 'button', class: 'primary', onclick: async () => {
    if (await createDialog(site)) reload();
  } }, 'Add an endpoint');
  reload();
  return h('div', {}, h('div', { class: 'toolbar' }, create), list);
}

/** The inputs shared by create and edit, filled from `endpoint` when there is one. */
function endpointInputs(endpoint) {
  const url = h('input', { type: 'url', name: 'url', required: true, value: endpoint?.url ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://hooks.example.com/credport' });
  const types = h('input', { name: 'types', value: endpoint?.types.join(' ') ?? '', autocomplete: 'off', spellcheck: 'false' });
  const description = h('input', { name: 'description', value: endpoint?.description ?? '', autocomplete: 'off' });
  return {
    elements: [field('URL', url, 'Where the events are POSTed: https://, on a public address.'), field('Event types', types, TYPES_HINT), field('Description (optional)', description)],
    read: () => ({ url: url.value.trim(), types: words(types.value), description: description.value.trim() }),
  };
}

function createDialog(site) {
  return dialog('Add a webhook endpoint', (close) => {
    const inputs = endpointInputs();
    const place = h('div', { class: 'problem' });
    const save = h('button', { type: 'submit', class: 'primary' }, 'Add endpoint');
    const form = h('form', { onsubmit: async (event) => {
      event.preventDefault();
      const { url, types, description } = inputs.read();
      const created = await busy(save, 'Adding…', place, () => site.webhookEndpoints.create({ url, types, description: optional(description) }));
      if (!created) return;
      // The secret is shown here once, in place of the form; closing the dialog removes it.
      showOnce(form, {
        message: `Copy the signing secret of ${created.url} now: it is shown only this once. The receiver checks each delivery with it (verifyWebhook).`,
        value: created.secret,
        label: 'Signing secret',
        done: () => close(created.id),
      });
    } },
    ...inputs.elements,
    place,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close() }, 'Cancel'), save));
    return form;
  });
}

function editDialog(site, endpoint) {
  return dialog('Edit the webhook endpoint', (close) => {
    const inputs = endpointInputs(endpoint);
    const place = h('div', { class: 'problem' });
    const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
    return h('form', { onsubmit: async (event) => {
      event.preventDefault();
      const updated = await busy(save, 'Saving…', place, () => site.webhookEndpoints.update(endpoint.id, inputs.read()));
      if (updated) close(updated);
    } },
    h('p', { class: 'muted' }, h('code', {}, endpoint.id), ' · the signing secret stays the same'),
    ...inputs.elements,
    place,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close() }, 'Cancel'), save));
  });
}

/** The endpoint's newest deliveries, in a dialog: each one's attempts, answer and next try. */
function deliveriesDialog(site, endpoint) {
  return dialog('Deliveries', (close) => {
    const list = h('div', { class: 'list' });
    const refresh = h('button', { type: 'button', onclick: () => load() }, 'Refresh');
    const load = () => {
      list.replaceChildren(loading('the deliveries'));
      return site.webhookEndpoints.deliveries(endpoint.id).then(({ data }) => list.replaceChildren(data.length === 0
        ? empty('No deliveries yet: one is made for each event of the types this endpoint receives.')
        : table('Deliveries, newest first', ['Event', 'Status', 'Attempts', 'Last attempt', 'Answer', 'Next try'], data.map((delivery) => ({
          dataset: { deliveryId: delivery.id, eventId: delivery.eventId, status: delivery.status },
          cells: [
            h('div', {}, h('code', {}, delivery.eventType), h('br'), h('small', { class: 'muted' }, delivery.eventId)),
            h('span', { class: `badge state-${delivery.status}` }, delivery.status),
            String(delivery.attempts),
            time(delivery.lastAttemptAt, { none: 'not yet' }),
            delivery.lastStatusCode !== null || delivery.lastError
              ? h('div', {}, delivery.lastStatusCode !== null ? `HTTP ${delivery.lastStatusCode}` : null, delivery.lastError ? h('small', { class: 'refresh-error' }, ` ${delivery.lastError}`) : null)
              : h('span', { class: 'muted' }, '—'),
            time(delivery.nextAttemptAt, { none: 'none' }),
          ],
        })))), (error) => list.replaceChildren(errorBox(error)));
    };
    load();
    return h('div', {},
      h('p', { class: 'url' }, endpoint.url),
      list,
      h('div', { class: 'actions' }, refresh, h('button', { type: 'button', class: 'primary', onclick: () => close(), autofocus: true }, 'Close')));
  }, { wide: true });
}
