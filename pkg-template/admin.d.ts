// credport/admin: the admin core's classes and every declared type (the same model types as
// credport's), and credport's error classes.
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
} from './node/credport_admin.js';
export type * from './node/credport_admin.js';
export * from './errors.js';
