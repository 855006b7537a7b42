// The sites: the list, and a form that creates one.
import { busy, empty, errorBox, field, h, loading, table, time } from '../dom.mjs';

export function sitesView(client, { consoleHref, navigate }) {
  const list = h('div', { class: 'list' }, loading('the sites'));
  const name = h('input', { name: 'name', required: true, maxlength: 256, autocomplete: 'off' });
  const problem = h('div', { class: 'problem' });
  const submit = h('button', { type: 'submit' }, 'Create site');
  const form = h(
    'form',
    {
      class: 'inline-form',
      onsubmit: async (event) => {
        event.preventDefault();
        const site = await busy(submit, 'Creating…', problem, () => client.sites.create({ name: name.value.trim() }));
        if (site) navigate(consoleHref({ site: site.id }));
      },
    },
    field('Name of a new site', name),
    submit,
    problem,
  );

  client.sites.list().then(
    ({ data }) => {
      if (data.length === 0) {
        list.replaceChildren(empty('No sites yet. A site holds one tenant’s connections and tokens: create the first one with the form above.'));
        return;
      }
      list.replaceChildren(
        table('Sites', ['Name', 'Id', 'Created'], data.map((site) => ({
          dataset: { siteId: site.id },
          cells: [h('a', { href: consoleHref({ site: site.id }) }, site.name), h('code', {}, site.id), time(site.createdAt)],
        }))),
      );
    },
    (error) => list.replaceChildren(errorBox(error)),
  );

  return h('section', {}, h('h1', {}, 'Sites'), form, list);
}
