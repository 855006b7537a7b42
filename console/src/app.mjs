// The console's views, chosen by the page's query (`?site=…&tab=…`), so that a view has an
// address (the browser's back button, a reload, the connect's return) without a server route per
// view. The query holds ids and filters only, never a secret.
import { h, keepTimesCurrent } from './dom.mjs';
import { currentClient, serverBase, signOut } from './session.mjs';
import { signInView } from './views/signin.mjs';
import { sitesView } from './views/sites.mjs';
import { siteView } from './views/site.mjs';

const main = document.getElementById('main');
const account = document.getElementById('account');
/** The console's own path: `/console`, under the path credport is mounted at. */
const consolePath = `${new URL(serverBase).pathname.replace(/\/$/, '')}/console`;

export function start() {
  // Links inside the console change the view without loading the page again.
  document.addEventListener('click', (event) => {
    const link = event.target.closest?.(`a[href^="${consolePath}"]`);
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(link.getAttribute('href'));
  });
  window.addEventListener('popstate', render);
  keepTimesCurrent();
  render();
}

/** Shows the view at `href` (a console address) and records it in the history. */
export function navigate(href, { replace = false } = {}) {
  history[replace ? 'replaceState' : 'pushState'](null, '', href);
  render();
}

/** A console address: the console's path with `params` (empty values left out). */
export function consoleHref(params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ''));
  const text = query.toString();
  return text ? `${consolePath}?${text}` : consolePath;
}

function render() {
  const client = currentClient();
  if (!client) {
    account.replaceChildren();
    show(signInView({ onSignedIn: render }), 'Sign in');
    return;
  }
  account.replaceChildren(
    h('button', {
      type: 'button',
      class: 'link',
      onclick: () => {
        signOut();
        navigate(consoleHref());
      },
    }, 'Sign out'),
  );
  const query = new URLSearchParams(location.search);
  const site = query.get('site');
  if (site) show(siteView(client, query, { navigate, consoleHref }), null);
  else show(sitesView(client, { navigate, consoleHref }), 'Sites');
}

/** Puts `view` in the page; `title` (when the view does not set its own) names the tab. */
function show(view, title) {
  if (title) document.title = `${title} · credport console`;
  main.replaceChildren(view);
  // Keyboard and screen reader users start at the top of the new view.
  main.focus({ preventScroll: true });
}
