// The admin token, kept in this tab only: sessionStorage (it survives the trip to a provider and
// back during a connect, and goes with the tab), never a cookie, localStorage or a URL.
import { CredportAdmin } from 'credport/admin';

const KEY = 'credport.console.adminToken';

/** The admin client for the token this tab signed in with, or null when signed out. */
export function currentClient() {
  const token = sessionStorage.getItem(KEY);
  return token ? clientFor(token) : null;
}

/**
 * Where this server is, as the browser reaches it: the page's origin and the path a proxy may
 * mount credport under (the page is `{base}/console`). Every address the console makes starts here.
 */
export const serverBase = location.origin + location.pathname.replace(/\/console\/?$/, '');

/** A client for `token` against this server. */
function clientFor(adminToken) {
  // The admin token is in this page by the person's own hand: the page is the admin interface.
  return new CredportAdmin({ adminToken, baseUrl: serverBase, dangerouslyAllowBrowser: true, maxRetries: 1 });
}

/**
 * Signs in: the token is kept only once the server accepted it (listing sites), so a wrong one
 * leaves nothing behind. Resolves with the client; rejects with the API's error.
 */
export async function signIn(token) {
  const client = clientFor(token);
  await client.sites.list();
  sessionStorage.setItem(KEY, token);
  return client;
}

/** Forgets the token. */
export function signOut() {
  sessionStorage.removeItem(KEY);
}
