// The admin .wasm as a WebAssembly.Module through Deno's module graph, as deno-wasm.mjs.
import source module from './credport_admin_bg.wasm';

export default module;
