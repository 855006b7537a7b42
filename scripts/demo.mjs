// `npm run demo`: credport-server on a temporary embedded database filled with demo data, and the
// Node quickstart run against it. Expects `npm run build` to have run (the npm script does).
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(root, 'examples/node');

execFileSync('cargo', ['build', '--quiet', '-p', 'credport-server'], { cwd: root, stdio: 'inherit' });
const server = path.join(root, 'target/debug/credport-server');
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: example, stdio: 'inherit' });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'credport-demo-'));
const env = {
  ...process.env,
  CREDPORT_DATABASE: path.join(dir, 'credport.db'),
  CREDPORT_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
  CREDPORT_ADMIN_TOKEN: crypto.randomBytes(24).toString('hex'),
  CREDPORT_LISTEN: '127.0.0.1:0',
  // The quickstart's output is what a person reads; the server says only what goes wrong.
  CREDPORT_LOG: process.env.CREDPORT_LOG ?? 'warn',
};

const seeded = JSON.parse(execFileSync(server, ['demo'], { env, encoding: 'utf8' }).trim().split('\n').pop());
console.log(`demo data: site ${seeded.site_id}, user ${seeded.user_id}`);

const child = spawn(server, [], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let exitCode = 1;
try {
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`credport-server exited with ${code}`)));
  });
  console.log(`credport-server at ${url} (database ${env.CREDPORT_DATABASE})\n`);
  const quickstart = spawn(process.execPath, ['quickstart.mjs'], {
    cwd: example,
    env: { ...process.env, CREDPORT_API_KEY: seeded.token, CREDPORT_BASE_URL: url },
    stdio: 'inherit',
  });
  exitCode = await new Promise((resolve) => quickstart.once('exit', (code) => resolve(code ?? 1)));
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
