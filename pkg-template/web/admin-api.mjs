// The public names of credport/admin's entries built on the `web` wasm (admin.mjs for browsers,
// Deno and bundlers; admin-workerd.mjs, admin-deno.mjs): the admin core's classes and the error
// classes (the same ones as credport's). ../admin.mjs lists the same names for Node and Bun.
export {
  CredportAdmin,
  Sites,
  SiteAdmin,
  AdminConnections,
  ConnectSessions,
  ProviderConfigs,
  AdminPersonalAccessTokens,
  AdminApiKeys,
  AdminEvents,
  WebhookEndpoints,
} from './credport_admin.mjs';
export * from './error-classes.mjs';
