// A browser as far as a connect needs one: GETs that do not follow redirects (so that each step
// can be looked at), and cookies kept between them (credport takes a connect's answer only in
// the browser that opened its link). Used by `npm run demo` and the interoperability test.

/** A new browser: its `visit(url)` resolves to `{ status, headers, location, text }`. */
export function browser() {
  const cookies = new Map();
  return async function visit(url) {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const set of response.headers.getSetCookie()) {
      const [name, value] = set.split(';')[0].split('=');
      cookies.set(name, value);
    }
    return { status: response.status, headers: response.headers, location: response.headers.get('location'), text: await response.text() };
  };
}
