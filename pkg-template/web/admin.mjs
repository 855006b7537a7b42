// credport/admin for browsers and bundlers (the "browser", "import" and "default" conditions): the
// admin core's own .wasm (credport_admin_bg.wasm; credport's stays as small as it is), fetched and
// instantiated by top-level await, so that `import { CredportAdmin } from "credport/admin"` is
// ready to use with no init call. A page opts in with `dangerouslyAllowBrowser: true`.
import * as glue from './credport_admin.mjs';
import { start } from './start.mjs';

await start(glue, new URL('./credport_admin_bg.wasm', import.meta.url));

export * from './admin-api.mjs';
