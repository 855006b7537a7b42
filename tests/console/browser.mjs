// Chromium for the console's tests (Debian's, driven by playwright-core), and pages that fail
// their test on a page error, a console error or a Content-Security-Policy violation; axe-core
// on every view, and a screenshot of it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from '../js/harness.mjs';

const CHROMIUM = process.env.CREDPORT_CHROMIUM ?? '/usr/bin/chromium';
/** Where the screenshots go (gitignored); docs/console.png is one of them, chosen by hand. */
export const SCREENSHOTS = process.env.CREDPORT_SCREENSHOTS ?? path.join(root, 'tests/console/screenshots');
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A new page (its own context: storage starts empty) that records every problem: uncaught
 * errors, console errors, CSP violations (reported by a listener installed before any of the
 * page's scripts, outside the page's policy). `assertClean()` fails the test on any of them.
 */
export async function newPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // An API error the test provokes (a wrong token's 401) is also a console message of
  // Chromium's ("Failed to load resource"): those are allowed by status and path, one by one.
  const allowed = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const resource = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text());
    const url = message.location()?.url ?? '';
    if (resource) {
      const at = allowed.findIndex(({ status, path }) => status === Number(resource[1]) && new URL(url).pathname === path);
      if (at >= 0) return void allowed.splice(at, 1);
      return problems.push(`HTTP ${resource[1]} ${url}`);
    }
    problems.push(`console error: ${message.text()}`);
  });
  await page.exposeBinding('__reportCspViolation', (_source, text) => problems.push(`CSP violation: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  return {
    page,
    context,
    problems,
    /** The next failed load of `path` with `status` is expected (the test provoked it). */
    allowHttpError(status, path) {
      allowed.push({ status, path });
    },
    assertClean() {
      assert.deepEqual(problems, [], 'the page reported problems');
    },
    close: () => context.close(),
  };
}

/**
 * axe-core on the page as it is now: no serious or critical violation. Then a screenshot named
 * `name`. axe is evaluated through the DevTools protocol, which the page's policy does not
 * govern (a script tag would rightly be refused).
 */
export async function audit(page, name) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const { violations } = await window.axe.run(document, { resultTypes: ['violations'] });
    return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(grave, [], `${name}: axe-core found serious or critical violations`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  return violations;
}

/** Waits until the view has nothing loading and no button waiting. */
export async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('.loading, [aria-busy="true"]'), null, { timeout: 20_000 });
}

/** Signs `page` in to `server`'s console with its admin token. */
export async function signIn(page, server) {
  await page.goto(`${server.url}/console`);
  await page.fill('input[name=adminToken]', server.adminToken);
  await page.click('button[type=submit]');
}
