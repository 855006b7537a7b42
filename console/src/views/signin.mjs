// Signing in with the admin token: one password field. A refused token is said next to the
// field and nothing is kept (not in storage, not in the field).
import { busy, field, h } from '../dom.mjs';
import { signIn } from '../session.mjs';

export function signInView({ onSignedIn }) {
  const input = h('input', { type: 'password', name: 'adminToken', required: true, autocomplete: 'off', spellcheck: 'false' });
  const problem = h('div', { class: 'problem' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: async (event) => {
        event.preventDefault();
        const token = input.value.trim();
        const client = await busy(submit, 'Signing in…', problem, () => signIn(token));
        if (client) onSignedIn();
        else {
          input.value = '';
          input.focus();
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'The console manages sites, their connections and their tokens with the admin token credport-server was started with (', h('code', {}, 'CREDPORT_ADMIN_TOKEN'), '; with ', h('code', {}, '--dev'), ' the server prints one). It stays in this browser tab until you sign out or close the tab.'),
    field('Admin token', input),
    problem,
    h('div', { class: 'actions' }, submit),
  );
  return form;
}
