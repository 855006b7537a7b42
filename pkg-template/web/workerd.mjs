// Entry for Cloudflare Workers (the "workerd" condition): wrangler turns the .wasm
// import into a WebAssembly.Module, instantiated synchronously at start-up (a Worker may not
// fetch outside a request), so nothing needs an init call here either.
import module from './credport_bg.wasm';
import * as glue from './credport.mjs';
import { startSync } from './start.mjs';

startSync(glue, module);

export * from './api.mjs';
