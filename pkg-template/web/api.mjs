// The public names of the entries built on the `web` wasm (index.mjs for browsers, Deno and
// bundlers; workerd.mjs for Cloudflare Workers): the wasm core's classes and the error classes.
// ../index.mjs lists the same names for Node and Bun; the packaging tests check every entry.
export { Credport, Connections, ApiKeys, PersonalAccessTokens, verifyWebhook } from './credport.mjs';
export * from './error-classes.mjs';
