#!/usr/bin/env node
// The credport command (`npx credport --help`): the SDK of this package, from a terminal.
// The SDK (and its wasm) loads only when a command runs, so --help and usage errors are instant.
import { main } from './cli/main.mjs';

process.stdout.on('error', (error) => {
  // `credport ... | head`: the reader left; nothing more to say.
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  loadSdk: () => import('./index.mjs'),
});
process.exitCode = code;
// Exit as soon as the output is written, not when idle keep-alive sockets close (~0.2 s later).
let pending = 2;
const done = () => {
  if (--pending === 0) process.exit(code);
};
process.stdout.write('', done);
process.stderr.write('', done);
