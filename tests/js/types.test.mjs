// The TypeScript surface: tests/types/usage.ts compiles with `tsc --strict` against the installed
// package, under node16 and bundler module resolution; every `@ts-expect-error` must be needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { root, testProject } from './harness.mjs';

const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

for (const [module, resolution] of [['node16', 'node16'], ['esnext', 'bundler']]) {
  test(`types compile with --strict, module ${module}, moduleResolution ${resolution}`, () => {
    const project = testProject();
    const dir = fs.mkdtempSync(path.join(project, `types-${resolution}-`));
    fs.copyFileSync(path.join(root, 'tests/types/usage.ts'), path.join(dir, 'usage.mts'));
    const args = ['--strict', '--noEmit', '--module', module, '--moduleResolution', resolution, '--target', 'es2022', '--lib', 'es2022,dom,dom.iterable,esnext.asynciterable', '--skipLibCheck', 'false', path.join(dir, 'usage.mts')];
    let output = '';
    try {
      output = execFileSync(process.execPath, [tsc, ...args], { cwd: project, encoding: 'utf8' });
    } catch (e) {
      assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
    }
    assert.equal(output.trim(), '');
  });
}
