// credport/admin for Cloudflare Workers (the "workerd" condition), as workerd.mjs:
// wrangler turns the .wasm import into a WebAssembly.Module, instantiated synchronously.
import module from './credport_admin_bg.wasm';
import * as glue from './credport_admin.mjs';
import { startSync } from './start.mjs';

startSync(glue, module);

export * from './admin-api.mjs';
