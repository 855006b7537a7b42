// Entry for Deno (the "deno" condition). Deno 2.6 and later load the .wasm as a module
// (deno-wasm.mjs), instantiated synchronously: only --allow-net is needed. An older Deno cannot
// parse that import; it reads the file instead, which needs --allow-read (start.mjs, startDeno).
import * as glue from './credport.mjs';
import { startDeno } from './start.mjs';

await startDeno(glue, () => import('./deno-wasm.mjs'), new URL('./credport_bg.wasm', import.meta.url));

export * from './api.mjs';
