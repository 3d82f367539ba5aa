// Drives the dashboard in headless Chromium as a person would. Run by
// dashboard/browser_test.go, which starts the runtime and passes its address:
//
//   DASHBOARD_URL=http://127.0.0.1:PORT SCREENSHOT_DIR=/tmp/x node dashboard.test.mjs
//
// DASHBOARD_KEYED_URL serves the same runtime behind the API key DASHBOARD_KEY.
//
// Exits non-zero on the first failed step, printing what was expected and what the
// page showed.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

const base = process.env.DASHBOARD_URL;
const shots = process.env.SCREENSHOT_DIR || '.';
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!base) throw new Error('DASHBOARD_URL is not set');

const API = `${base}/runtime/webhooks/durabletask`;
const problems = []; // script errors and CSP violations seen in the page

// --- helpers -------------------------------------------------------------------

let stepNo = 0;
async function step(name, fn) {
  stepNo++;
  const t = Date.now();
  try {
    await fn();
  } catch (e) {
    console.log(`FAIL ${stepNo}. ${name} (${Date.now() - t} ms)`);
    throw e;
  }
  console.log(`ok   ${stepNo}. ${name} (${Date.now() - t} ms)`);
}

/** Polls fn until it returns a truthy value; fails with desc and the last value seen. */
async function until(desc, fn, timeout = 15000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${desc}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function start(name, input, id) {
  const res = await fetch(`${base}/api/orchestrators/${encodeURIComponent(name)}${id ? `/${encodeURIComponent(id)}` : ''}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: input,
  });
  const text = await res.text();
  assert.equal(res.status, 202, `start ${name}: ${text}`);
  return JSON.parse(text).id;
}

async function apiStatus(id) {
  const res = await fetch(`${API}/instances/${encodeURIComponent(id)}`);
  return res.status === 404 ? null : res.json();
}

const row = (page, id) => page.locator(`[data-testid="instance-row"][data-instance-id="${id}"]`);
const statusText = (page) => page.getByTestId('instance-status').textContent();

async function openInstance(page, id) {
  await page.goto(`${base}/dashboard/#/instances/${encodeURIComponent(id)}`);
  await until(`instance page of ${id}`, async () => (await page.getByTestId('instance-id').textContent()) === id);
}

async function act(page, op, fill = {}) {
  await page.getByTestId(`action-${op}`).click();
  const dialog = page.getByTestId('action-dialog');
  await dialog.waitFor();
  for (const [testid, value] of Object.entries(fill)) await dialog.getByTestId(testid).fill(value);
  await dialog.getByTestId('dialog-confirm').click();
}

async function waitStatus(page, want) {
  await until(`status ${want}`, async () => (await statusText(page)) === want);
}

// --- the run -------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Refused actions are answered 4xx on purpose, which Chromium logs as a failed load.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });

  await step('the mount point without its slash redirects to the page', async () => {
    await page.goto(`${base}/dashboard`);
    assert.equal(new URL(page.url()).pathname, '/dashboard/');
  });

  await step('the page loads and reaches the API', async () => {
    await page.goto(`${base}/dashboard/`);
    await page.locator('[data-testid="connection"][data-state="ok"]').waitFor();
    assert.equal(await page.locator('h1').textContent(), 'Instances');
  });

  let greetId;
  await step('an orchestration started through the API appears in the list and completes', async () => {
    greetId = await start('Greet', '"London"');
    await row(page, greetId).waitFor();
    await until('Greet Completed in the list', async () => (await row(page, greetId).getAttribute('data-status')) === 'Completed');
    assert.equal(await row(page, greetId).getByTestId('instance-name').textContent(), 'Greet');
  });

  await step('its page shows status, payloads and a timeline with bars', async () => {
    await row(page, greetId).getByTestId('instance-link').click();
    await waitStatus(page, 'Completed');
    assert.equal(await page.getByTestId('instance-name').textContent(), 'Greet');
    assert.equal(await page.getByTestId('instance-id').textContent(), greetId);
    assert.match(await page.getByTestId('instance-input').textContent(), /London/);
    assert.match(await page.getByTestId('instance-output').textContent(), /Hello Tokyo[\s\S]*Hello London/);
    assert.match(await page.getByTestId('instance-custom-status').textContent(), /"step": "done"/);
    const svg = page.getByTestId('timeline-svg');
    await svg.waitFor();
    const bars = (kind) => svg.locator(`rect[data-testid="timeline-bar"][data-kind="${kind}"]`).count();
    assert.ok(await bars('activity') >= 3, `activity bars: ${await bars('activity')}`);
    assert.equal(await bars('timer'), 1, 'timer bars');
    assert.equal(await bars('suborchestration'), 1, 'sub-orchestration bars');
    assert.equal(await svg.locator('rect[data-failed="true"]').count(), 1, 'failed bars');
    const box = await svg.locator('rect[data-kind="activity"]').first().boundingBox();
    assert.ok(box && box.width >= 3 && box.height > 0, `activity bar is visible: ${JSON.stringify(box)}`);
    assert.ok(await page.getByTestId('history-row').count() >= 5, 'history rows');
    await page.screenshot({ path: path.join(shots, 'instance-completed.png'), fullPage: true });
  });

  await step('the sub-orchestration bar links to the child instance', async () => {
    await page.locator('[data-testid="timeline-row"][data-kind="suborchestration"]').click();
    await until('child page', async () => (await page.getByTestId('instance-name').textContent()) === 'Child');
    await waitStatus(page, 'Completed');
    await page.goBack();
    await until('back on Greet', async () => (await page.getByTestId('instance-id').textContent()) === greetId);
  });

  await step('filters narrow the list and paging follows the continuation token', async () => {
    for (let i = 0; i < 22; i++) await start('Quick', String(i), `page-${String(i).padStart(2, '0')}`);
    await page.getByTestId('back-to-list').click();
    await page.getByTestId('filter-prefix').fill('page-');
    await page.getByTestId('filter-top').selectOption('20');
    await until('20 rows on page 1', async () => (await page.getByTestId('instance-row').count()) === 20
      && (await page.getByTestId('instance-row').first().getAttribute('data-instance-id')) === 'page-00');
    await until('all Completed', async () => (await page.locator('[data-testid="instance-row"][data-status="Completed"]').count()) === 20);
    assert.match(page.url(), /prefix=page-/, 'filters are kept in the URL');
    await page.getByTestId('page-next').click();
    await until('2 rows on page 2', async () => (await page.getByTestId('instance-row').count()) === 2);
    assert.equal(await page.getByTestId('page-number').textContent(), 'Page 2');
    assert.ok(await page.getByTestId('page-next').isDisabled(), 'no page 3');
    await page.getByTestId('page-prev').click();
    await until('back to 20 rows', async () => (await page.getByTestId('instance-row').count()) === 20);
    await page.getByTestId('filter-status-Running').check();
    await until('no Running page- instances', async () => (await page.getByTestId('instance-row').count()) === 0);
    await page.getByTestId('instance-empty').waitFor();
    await page.getByTestId('filter-name').fill('Quick');
    await page.getByTestId('filter-clear').click();
    await until('filters cleared', async () => !(await page.getByTestId('instance-row').first().getAttribute('data-instance-id')).startsWith('page-'));
    assert.equal(await page.getByTestId('filter-prefix').inputValue(), '');
    assert.equal(await page.getByTestId('filter-status-Running').isChecked(), false);
    await page.getByTestId('filter-top').selectOption('50');
  });

  const waiting = ['approve-e2e-1', 'approve-e2e-2'];
  await step('suspend, resume and terminate a waiting instance from its page', async () => {
    for (const id of waiting) await start('WaitApproval', undefined, id);
    await openInstance(page, waiting[1]);
    await waitStatus(page, 'Running');
    assert.match(await page.getByTestId('instance-custom-status').textContent(), /Approval/);
    await act(page, 'suspend', { 'action-reason': 'maintenance' });
    await waitStatus(page, 'Suspended');
    assert.equal(await page.getByTestId('action-message').getAttribute('data-kind'), 'ok');
    await act(page, 'resume');
    await waitStatus(page, 'Running');
    await act(page, 'terminate', { 'action-reason': 'no longer needed' });
    await waitStatus(page, 'Terminated');
    assert.match(await page.getByTestId('instance-output').textContent(), /no longer needed/);
    await until('lifecycle markers', async () => (await page.getByTestId('timeline-marker').count()) >= 3);
    await page.screenshot({ path: path.join(shots, 'instance-terminated.png') });
  });

  await step("a refused action shows the API's error", async () => {
    await act(page, 'terminate');
    const msg = page.getByTestId('action-message');
    await until('error message', async () => (await msg.getAttribute('data-kind')) === 'error');
    const text = await msg.textContent();
    assert.match(text, /^Terminate refused: 410 Gone: \S/, text);
    assert.equal(await msg.getAttribute('role'), 'alert');
  });

  await step('raise an event from the form; invalid JSON is caught first', async () => {
    await openInstance(page, waiting[0]);
    await waitStatus(page, 'Running');
    await page.getByTestId('action-raise').click();
    const dialog = page.getByTestId('action-dialog');
    await dialog.getByTestId('event-name').fill('Approval');
    await dialog.getByTestId('event-payload').fill('Ada');
    await dialog.getByTestId('dialog-confirm').click();
    assert.match(await dialog.getByTestId('dialog-error').textContent(), /Not valid JSON/);
    await dialog.getByTestId('event-payload').fill('"Ada"');
    await dialog.getByTestId('dialog-confirm').click();
    await waitStatus(page, 'Completed');
    assert.match(await page.getByTestId('instance-output').textContent(), /Hello Ada/);
    await until('event marker', async () => (await page.locator('[data-testid="timeline-marker"][data-kind="event"]').count()) === 1);
  });

  await step('purge removes the instance and returns to the list', async () => {
    await act(page, 'purge');
    await until('back on the list', async () => (await page.locator('h1').textContent()) === 'Instances');
    await until('purged row gone', async () => (await row(page, greetId).count()) === 1 && (await row(page, waiting[0]).count()) === 0);
    assert.match(await page.getByTestId('toast').textContent(), /Purged approve-e2e-1/);
    assert.equal(await apiStatus(waiting[0]), null);
    await page.screenshot({ path: path.join(shots, 'instance-list.png') });
  });

  await step('entities are listed with their state', async () => {
    for (const n of [5, 7]) {
      const res = await fetch(`${API}/entities/Counter/e2e?op=add`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: String(n) });
      assert.equal(res.status, 202, await res.text());
    }
    await page.getByTestId('nav-entities').click();
    const erow = page.locator('[data-testid="entity-row"][data-entity-key="e2e"]');
    await until('Counter e2e = 12', async () => (await erow.getByTestId('entity-state-preview').textContent()) === '12');
    await erow.getByTestId('entity-link').click();
    await until('entity state 12', async () => (await page.getByTestId('entity-state').textContent()) === '12');
  });

  await step('the cluster page says a runtime on its own is not a cluster', async () => {
    await page.getByTestId('nav-cluster').click();
    await until('cluster summary', async () => /Not a cluster/.test(await page.getByTestId('cluster-summary').textContent()));
    assert.equal(await page.getByTestId('member-table').isVisible(), false);
  });

  await step('behind an API key, the page passes ?code= on to the API', async () => {
    const keyed = process.env.DASHBOARD_KEYED_URL;
    await page.goto(`${keyed}/dashboard/`);
    await until('refusal shown', async () => (await page.getByTestId('connection').getAttribute('data-state')) === 'error');
    assert.match(await page.getByTestId('connection').textContent(), /401/);
    assert.match(await page.getByTestId('list-error').textContent(), /401 Unauthorized: missing or wrong API key/);
    await page.goto(`${keyed}/dashboard/?code=${encodeURIComponent(process.env.DASHBOARD_KEY)}`);
    await page.locator('[data-testid="connection"][data-state="ok"]').waitFor();
    await row(page, greetId).getByTestId('instance-link').click();
    await waitStatus(page, 'Completed');
    assert.match(page.url(), /\?code=e2e-secret#\/instances\//, 'the key stays in the page URL across views');
  });

  await step('the page logged no script errors', async () => {
    assert.deepEqual(problems, []);
  });
} finally {
  await browser.close();
}
console.log(`all ${stepNo} steps passed`);
