#!/usr/bin/env node
// The credport command (`npx credport --help`): the SDK of this package, from a terminal.
// The SDK (and its wasm) loads only when a command runs, so --help and usage errors are instant.
import { main } from './cli/main.mjs';

// `credport ... | head`: the reader left, nothing more to say. Any other failure to write is said
// in one line (where stderr still takes it), not as a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    try {
      process.stderr.write(`error: cannot write the output: ${error.message}\n`);
    } finally {
      process.exit(1);
    }
  });
}

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
