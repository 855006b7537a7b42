'use strict';
// credport/admin's Node entry (CommonJS), as index.cjs: the build bundles the admin core's nodejs
// glue and errors.cjs into this file. The admin core is a .wasm of its own; the error classes are
// credport's (errors.sharedErrors). Whichever of admin.cjs and admin.mjs a process loads first
// makes the instance; the other hands out the same classes (kept under a symbol on globalThis).
const shared = Symbol.for(`credport admin ${CREDPORT_VERSION}`);

module.exports = globalThis[shared] ?? load();

function load() {
  const errors = require('./errors.cjs');
  const core = require('./node/credport_admin.js');
  const { createError, ...errorClasses } = errors.sharedErrors(Symbol.for(`credport errors ${CREDPORT_VERSION}`));
  core.__setErrorFactory(createError);
  const api = {
    CredportAdmin: core.CredportAdmin,
    Sites: core.Sites,
    SiteAdmin: core.SiteAdmin,
    AdminConnections: core.AdminConnections,
    ConnectSessions: core.ConnectSessions,
    ProviderConfigs: core.ProviderConfigs,
    AdminPersonalAccessTokens: core.AdminPersonalAccessTokens,
    AdminApiKeys: core.AdminApiKeys,
    AdminEvents: core.AdminEvents,
    WebhookEndpoints: core.WebhookEndpoints,
    ...errorClasses,
  };
  Object.defineProperty(globalThis, shared, { value: api });
  return api;
}
