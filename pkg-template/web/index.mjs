// Entry for browsers and bundlers (the "browser", "import" and "default" conditions): the `web`
// build of the wasm core, fetched and instantiated by top-level await, so that
// `import { Credport } from "credport"` is ready to use with no init call. Vite copies the .wasm
// named below into its build; with esbuild, copy it next to the bundle (README, "Install").
import * as glue from './credport.mjs';
import { start } from './start.mjs';

await start(glue, new URL('./credport_bg.wasm', import.meta.url));

export * from './api.mjs';
