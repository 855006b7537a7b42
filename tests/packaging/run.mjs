// The packaging suite: packs dist/ once, then runs every tests/packaging/*.test.mjs (or the files
// given) against that one tarball, each file installing it into fresh projects of its own.
// Needs dist/ built (`node scripts/build.mjs`) and the set-up done (`bash scripts/setup.sh`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'credport-pack-'));
try {
  const tarball = pack(dir);
  console.log(`packed ${path.basename(tarball)} (${(fs.statSync(tarball).size / 1024).toFixed(1)} KiB)`);
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...(files.length ? files : [here])], {
    stdio: 'inherit',
    env: { ...process.env, CREDPORT_TEST_TARBALL: tarball },
  });
  process.exitCode = result.status ?? 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
