// credport/admin for Deno (the "deno" condition), as deno.mjs: Deno 2.6 and later load the .wasm
// as a module (only --allow-net needed); an older Deno reads the file (--allow-read).
import * as glue from './credport_admin.mjs';
import { start, startSync } from './start.mjs';

const compiled = await import('./admin-deno-wasm.mjs').then(
  (wasm) => wasm.default,
  () => null,
);
if (compiled) {
  startSync(glue, compiled);
} else {
  await start(
    glue,
    new URL('./credport_admin_bg.wasm', import.meta.url),
    'Deno before 2.6 reads the file: allow it with --allow-read, or use Deno 2.6 or later, which needs no permission.',
  );
}

export * from './admin-api.mjs';
