// credport/admin for Deno (the "deno" condition), as deno.mjs: Deno 2.6 and later load the .wasm
// as a module (admin-deno-wasm.mjs; only --allow-net needed); an older Deno reads the file
// (--allow-read).
import * as glue from './credport_admin.mjs';
import { startDeno } from './start.mjs';

await startDeno(glue, () => import('./admin-deno-wasm.mjs'), new URL('./credport_admin_bg.wasm', import.meta.url));

export * from './admin-api.mjs';
