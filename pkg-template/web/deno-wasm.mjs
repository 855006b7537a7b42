// The .wasm as a WebAssembly.Module, through Deno's module graph (a source-phase import, Deno 2.6
// and later): no --allow-read needed. Imported dynamically by deno.mjs, so that an older Deno,
// which cannot parse this file, falls back to reading the file instead.
import source module from './credport_bg.wasm';

export default module;
