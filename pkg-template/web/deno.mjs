// Entry for Deno (the "deno" condition). Deno 2.6 and later load the .wasm as a module
// (deno-wasm.mjs), instantiated synchronously: only --allow-net is needed. An older Deno cannot
// parse that import; it reads the file instead, which needs --allow-read.
import * as glue from './credport.mjs';
import { start, startSync } from './start.mjs';

const compiled = await import('./deno-wasm.mjs').then(
  (wasm) => wasm.default,
  () => null,
);
if (compiled) {
  startSync(glue, compiled);
} else {
  await start(
    glue,
    new URL('./credport_bg.wasm', import.meta.url),
    'Deno before 2.6 reads the file: allow it with --allow-read, or use Deno 2.6 or later, which needs no permission.',
  );
}

export * from './api.mjs';
