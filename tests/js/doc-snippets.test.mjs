// The JavaScript in the READMEs (the repository's and the npm package's) and in docs/ compiles
// with `tsc --strict` against the installed package: every method, option, field and error class a
// snippet names exists, with the types it uses them as. A snippet is checked as its own module;
// the few names a snippet takes from around it (a request, a user id) are declared for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { root, testProject } from './harness.mjs';

const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

/** What the snippets take from their surroundings, by name. */
const surroundings = {
  process: 'declare const process: { env: Record<string, string | undefined> };',
  req: 'declare const req: { headers: Record<string, string> };',
  rawBody: 'declare const rawBody: Uint8Array;',
  userId: 'declare const userId: string;',
  siteId: 'declare const siteId: string;',
  res: 'declare const res: { writeHead(status: number): { end(): void } };',
};

/** The ```js blocks of `file`, each with the line it starts on. */
function snippets(file) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => ({
    code: m[1],
    line: text.slice(0, m.index).split('\n').length + 1,
  }));
}

/** The snippet as a module: its surroundings declared, and `Credport` imported where it has no import of its own. */
function asModule(code) {
  const declared = Object.entries(surroundings)
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code))
    .map(([, declaration]) => declaration);
  const imports = /^import /m.test(code) ? [] : ['import { Credport } from "credport";'];
  return [...imports, ...declared, code, 'export {};', ''].join('\n');
}

test('the JavaScript of the READMEs and docs/ compiles with --strict against the installed package', () => {
  const project = testProject();
  const dir = fs.mkdtempSync(path.join(project, 'readme-snippets-'));
  const files = [];
  const docs = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  for (const readme of ['README.md', 'pkg-template/README.md', ...docs]) {
    const found = snippets(readme);
    if (!readme.startsWith('docs/')) assert.ok(found.length > 0, `no js snippet found in ${readme}`);
    for (const { code, line } of found) {
      const name = `${readme.replace(/[/.]/g, '_')}_line_${line}.mts`;
      fs.writeFileSync(path.join(dir, name), asModule(code));
      files.push(name);
    }
  }
  const args = ['--strict', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--lib', 'es2022,dom,dom.iterable,esnext.asynciterable', ...files];
  try {
    execFileSync(process.execPath, [tsc, ...args], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc (each file is README_line_N: the snippet starting on that line):\n${e.stdout}${e.stderr}`);
  }
});
