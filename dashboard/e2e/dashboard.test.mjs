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

/** The action buttons the instance page shows, in order. */
async function visibleActions(page) {
  const shown = [];
  for (const b of await page.getByRole('toolbar', { name: 'Instance actions' }).getByRole('button').all()) {
    if (await b.isVisible()) shown.push((await b.getAttribute('data-testid')).replace(/^action-/, ''));
  }
  return shown.join(',');
}

async function waitActions(page, want) {
  await until(`actions ${want}`, async () => (await visibleActions(page)) === want);
}

async function apiCall(method, path, body) {
  const res = await fetch(`${API}${path}`, {
    method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** IDs of the rows the list shows, top to bottom. */
async function listedIds(page) {
  return page.locator('[data-testid="instance-row"]').evaluateAll((rows) => rows.map((r) => r.dataset.instanceId));
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
    // Refused actions are answered 4xx on purpose, which Chromium logs as a failed load;
    // an event stream refused or cut (the API key test, the fallback test) is logged as
    // one answered with the wrong type, and the page polls instead.
    const expected = m.text().startsWith('Failed to load resource') || m.text().startsWith("EventSource's response has a MIME type");
    if (m.type() === 'error' && !expected) problems.push(`console: ${m.text()}`);
  });
  // Polls of the listing: while the server pushes, the page makes none.
  let listReads = 0;
  page.on('request', (r) => {
    if (r.method() === 'GET' && new URL(r.url()).pathname === '/runtime/webhooks/durabletask/instances') listReads++;
  });

  await step('the mount point without its slash redirects to the page', async () => {
    await page.goto(`${base}/dashboard`);
    assert.equal(new URL(page.url()).pathname, '/dashboard/');
  });

  await step('the page loads, reaches the API and has changes pushed', async () => {
    await page.goto(`${base}/dashboard/`);
    await page.locator('[data-testid="connection"][data-state="ok"][data-transport="push"]').waitFor();
    assert.equal(await page.locator('h1').textContent(), 'Instances');
    assert.match(await page.getByTestId('connection').textContent(), /Live \(pushed\)/);
  });

  let greetId;
  await step('an orchestration started through the API is pushed to the list as it runs and completes', async () => {
    const reads = listReads;
    greetId = await start('Greet', '"London"');
    await row(page, greetId).waitFor();
    await until('Greet Completed in the list', async () => (await row(page, greetId).getAttribute('data-status')) === 'Completed');
    assert.equal(await row(page, greetId).getByTestId('instance-name').textContent(), 'Greet');
    assert.equal(listReads, reads, 'the page polled the listing although the server pushes it');
  });

  let childId;
  await step('its page shows status, payloads, its sub-orchestration and a timeline with bars', async () => {
    await row(page, greetId).getByTestId('instance-link').click();
    await waitStatus(page, 'Completed');
    assert.equal(await page.getByTestId('instance-name').textContent(), 'Greet');
    assert.equal(await page.getByTestId('instance-id').textContent(), greetId);
    assert.match(await page.getByTestId('instance-input').textContent(), /London/);
    assert.match(await page.getByTestId('instance-output').textContent(), /Hello Tokyo[\s\S]*Hello London/);
    assert.match(await page.getByTestId('instance-custom-status').textContent(), /"step": "done"/);
    const child = page.getByTestId('child');
    assert.equal(await child.count(), 1, 'sub-orchestrations listed');
    childId = await child.getAttribute('data-instance-id');
    assert.match(await child.textContent(), /Child.*Completed/);
    assert.equal(await page.getByTestId('instance-parent').count(), 0, 'a top-level instance shows no parent');
    // The version and trace id show when the status carries them, and only then (the
    // server traces: Greet has a trace id, kept in its history).
    const st = (await apiCall('GET', `/instances/${encodeURIComponent(greetId)}?showHistory=true`)).body;
    assert.match(String(st.traceId), /^[0-9a-f]{32}$/, 'the status names the trace');
    for (const [field, testid] of [['version', 'instance-version'], ['traceId', 'instance-trace-id']]) {
      if (st[field]) assert.equal(await page.getByTestId(testid).textContent(), String(st[field]), field);
      else assert.equal(await page.getByTestId(testid).count(), 0, `${field} shown though the status has none`);
    }
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

  await step('the sub-orchestration links to the child, whose page links back to its parent', async () => {
    await page.locator('[data-testid="timeline-row"][data-kind="suborchestration"]').click();
    await until('child page', async () => (await page.getByTestId('instance-name').textContent()) === 'Child');
    await waitStatus(page, 'Completed');
    assert.equal(await page.getByTestId('instance-id').textContent(), childId);
    assert.equal(await page.getByTestId('children').locator('li').count(), 0, 'the child has no children');
    await page.getByTestId('instance-parent').click();
    await until('back on Greet', async () => (await page.getByTestId('instance-id').textContent()) === greetId);
    await page.getByTestId('child-link').click();
    await until('the child again', async () => (await page.getByTestId('instance-id').textContent()) === childId);
    await page.goBack();
    await until('back on Greet', async () => (await page.getByTestId('instance-id').textContent()) === greetId);
  });

  await step('the list is newest first, filters by exact name on the server, orders by id on request, and pages', async () => {
    for (let i = 0; i < 22; i++) await start('Quick', String(i), `page-${String(i).padStart(2, '0')}`);
    await page.getByTestId('back-to-list').click();
    await page.getByTestId('filter-prefix').fill('page-');
    await until('filters kept in the URL', async () => /prefix=page-/.test(page.url()));
    await page.getByTestId('filter-top').selectOption('20');
    const newest = Array.from({ length: 22 }, (_, i) => `page-${String(21 - i).padStart(2, '0')}`);
    await until('the 20 newest on page 1', async () => (await listedIds(page)).join() === newest.slice(0, 20).join());
    await until('all Completed', async () => (await page.locator('[data-testid="instance-row"][data-status="Completed"]').count()) === 20);
    await page.getByTestId('page-next').click();
    await until('the 2 oldest on page 2', async () => (await listedIds(page)).join() === newest.slice(20).join());
    assert.equal(await page.getByTestId('page-number').textContent(), 'Page 2');
    assert.ok(await page.getByTestId('page-next').isDisabled(), 'no page 3');
    await page.getByTestId('page-prev').click();
    await until('back to page 1', async () => (await page.getByTestId('instance-row').count()) === 20);
    await page.getByTestId('filter-order').selectOption('id');
    await until('by id, page-00 first', async () => (await listedIds(page))[0] === 'page-00');
    assert.match(page.url(), /order=id/, 'the order is kept in the URL');
    await page.getByTestId('filter-order').selectOption('newest');
    await page.getByTestId('filter-name').fill('Quic');
    await page.getByTestId('instance-empty').waitFor(); // exact names only
    await page.getByTestId('filter-name').fill('Quick');
    await until('Quick instances', async () => (await page.getByTestId('instance-row').count()) === 20);
    await page.getByTestId('filter-status-Running').check();
    await until('no Running page- instances', async () => (await page.getByTestId('instance-row').count()) === 0);
    await page.getByTestId('filter-clear').click();
    await until('filters cleared', async () => (await listedIds(page))[0] === 'page-21');
    assert.equal(await page.getByTestId('filter-prefix').inputValue(), '');
    assert.equal(await page.getByTestId('filter-name').inputValue(), '');
    assert.equal(await page.getByTestId('filter-status-Running').isChecked(), false);
    await page.getByTestId('filter-top').selectOption('50');
  });

  await step('the list follows a new instance pushed by the server, then by polling when the stream breaks', async () => {
    await page.getByTestId('filter-prefix').fill('live-');
    await page.getByTestId('instance-empty').waitFor();
    const reads = listReads;
    await start('WaitApproval', undefined, 'live-1');
    await until('live-1 Running', async () => (await row(page, 'live-1').getAttribute('data-status')) === 'Running');
    assert.equal(listReads, reads, 'the page polled the listing although the server pushes it');
    // Without the stream the page polls, and still follows the runtime.
    await page.route('**/runtime/webhooks/durabletask/events**', (r) => r.abort());
    await page.reload();
    await page.locator('[data-testid="connection"][data-transport="poll"]').waitFor();
    await row(page, 'live-1').waitFor();
    await apiCall('POST', '/instances/live-1/terminate?reason=done');
    await until('live-1 Terminated by polling', async () => (await row(page, 'live-1').getAttribute('data-status')) === 'Terminated');
    assert.ok(listReads > reads, 'the page did not poll');
    await page.unroute('**/runtime/webhooks/durabletask/events**');
    await page.getByTestId('filter-clear').click();
    await page.reload(); // rather than wait for the page to try the stream again
    await page.locator('[data-testid="connection"][data-transport="push"]').waitFor();
  });

  await step('a hidden tab lets its event stream go, and opens it again when shown', async () => {
    const hide = (hidden) => page.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
    await page.locator('[data-testid="connection"][data-transport="push"]').waitFor();
    const closed = page.waitForEvent('requestfailed', (r) => new URL(r.url()).pathname.endsWith('/events'));
    await hide(true);
    await closed;
    const reopened = page.waitForRequest((r) => new URL(r.url()).pathname.endsWith('/events'));
    await hide(false);
    await reopened;
  });

  const waiting = ['approve-e2e-1', 'approve-e2e-2'];
  await step('the actions follow the status: suspend, resume and terminate a waiting instance', async () => {
    for (const id of waiting) await start('WaitApproval', undefined, id);
    await openInstance(page, waiting[1]);
    await waitStatus(page, 'Running');
    await page.locator('[data-testid="connection"][data-transport="push"]').waitFor();
    await waitActions(page, 'raise,suspend,terminate');
    assert.match(await page.getByTestId('instance-custom-status').textContent(), /Approval/);
    await act(page, 'suspend', { 'action-reason': 'maintenance' });
    await waitStatus(page, 'Suspended');
    assert.equal(await page.getByTestId('action-message').getAttribute('data-kind'), 'ok');
    await waitActions(page, 'raise,resume,terminate');
    await act(page, 'resume');
    await waitStatus(page, 'Running');
    await waitActions(page, 'raise,suspend,terminate');
    await act(page, 'terminate', { 'action-reason': 'no longer needed' });
    await waitStatus(page, 'Terminated');
    await waitActions(page, 'restart,purge');
    assert.match(await page.getByTestId('instance-output').textContent(), /no longer needed/);
    await until('lifecycle markers', async () => (await page.getByTestId('timeline-marker').count()) >= 3);
    await page.screenshot({ path: path.join(shots, 'instance-terminated.png') });
  });

  await step('a failed instance offers rewind, restart and purge, and shows its version', async () => {
    const failed = await start('Fails', undefined, 'fails-e2e');
    await openInstance(page, failed);
    await waitStatus(page, 'Failed');
    await waitActions(page, 'rewind,restart,purge');
    assert.match(await page.getByTestId('instance-output').textContent(), /out of stock/);
    assert.equal(await page.getByTestId('instance-version').textContent(), '2.1');
  });

  await step("an action the status no longer allows shows the API's refusal", async () => {
    await openInstance(page, waiting[0]);
    await waitStatus(page, 'Running');
    await page.getByTestId('action-terminate').click();
    const dialog = page.getByTestId('action-dialog');
    await dialog.waitFor();
    // Meanwhile the instance completes: the page hides the button, but the dialog
    // already open still sends what was asked.
    assert.equal((await apiCall('POST', `/instances/${waiting[0]}/raiseEvent/Approval`, '"Bea"')).status, 202);
    await waitStatus(page, 'Completed');
    await dialog.getByTestId('dialog-confirm').click();
    const msg = page.getByTestId('action-message');
    await until('error message', async () => (await msg.getAttribute('data-kind')) === 'error');
    const text = await msg.textContent();
    assert.match(text, /^Terminate refused: 410 Gone: \S/, text);
    assert.equal(await msg.getAttribute('role'), 'alert');
    await waitActions(page, 'restart,purge');
  });

  await step('restart a terminated instance under a new id, then raise an event from the form; invalid JSON is caught first', async () => {
    await openInstance(page, waiting[1]);
    await page.getByTestId('action-restart').click();
    const restart = page.getByTestId('action-dialog');
    assert.equal(await restart.getByTestId('restart-new-id').isChecked(), true);
    await restart.getByTestId('dialog-confirm').click();
    let again;
    await until('the restarted instance', async () => {
      again = await page.getByTestId('instance-id').textContent();
      return again !== waiting[1] && (await page.getByTestId('instance-name').textContent()) === 'WaitApproval';
    });
    assert.match(await page.getByTestId('toast').textContent(), /Restarted as /);
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
    assert.equal((await apiStatus(waiting[1])).runtimeStatus, 'Terminated', 'the restart left the original as it was');
  });

  await step('purge removes the instance and returns to the list', async () => {
    await openInstance(page, waiting[0]);
    await waitStatus(page, 'Completed');
    await act(page, 'purge');
    await until('back on the list', async () => (await page.locator('h1').textContent()) === 'Instances');
    await until('purged row gone', async () => (await row(page, greetId).count()) === 1 && (await row(page, waiting[0]).count()) === 0);
    assert.match(await page.getByTestId('toast').textContent(), /Purged approve-e2e-1/);
    assert.equal(await apiStatus(waiting[0]), null);
    await page.screenshot({ path: path.join(shots, 'instance-list.png') });
  });

  await step('purge by filter deletes the finished instances the filters select', async () => {
    await page.getByTestId('filter-prefix').fill('page-');
    await page.getByTestId('filter-name').fill('Quick');
    await until('the page- instances', async () => (await page.getByTestId('instance-row').count()) === 22);
    await page.getByTestId('purge-open').click();
    const dialog = page.getByTestId('purge-dialog');
    assert.match(await dialog.textContent(), /named Quick and with ids starting page-/);
    await dialog.getByTestId('dialog-confirm').click();
    assert.match(await dialog.getByTestId('dialog-error').textContent(), /start of the creation range/);
    await dialog.getByTestId('purge-from').fill('2000-01-01T00:00');
    await dialog.getByTestId('dialog-confirm').click();
    await until('the toast', async () => /Purged 22 instances/.test(await page.getByTestId('toast').textContent()));
    await page.getByTestId('instance-empty').waitFor();
    assert.ok((await apiStatus(greetId)) !== null, 'an instance the filters did not select was purged');
    await page.getByTestId('filter-clear').click();
  });

  await step('entities are listed with their state and lock holder, and can be deleted', async () => {
    for (const n of [5, 7]) {
      const res = await fetch(`${API}/entities/Counter/e2e?op=add`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: String(n) });
      assert.equal(res.status, 202, await res.text());
    }
    const holder = await start('HoldCounter', '"e2e"', 'hold-e2e');
    await page.getByTestId('nav-entities').click();
    const erow = page.locator('[data-testid="entity-row"][data-entity-key="e2e"]');
    await until('Counter e2e = 12', async () => (await erow.getByTestId('entity-state-preview').textContent()) === '12');
    await until('locked by hold-e2e', async () => (await erow.getByTestId('entity-locked-by').textContent()) === holder);
    await erow.getByTestId('entity-link').click();
    await until('entity state 12', async () => (await page.getByTestId('entity-state').textContent()) === '12');
    assert.equal(await page.getByTestId('entity-locked-by').textContent(), holder);
    assert.match(await page.getByTestId('entity-last-operation').textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    await apiCall('POST', `/instances/${holder}/raiseEvent/Release`);
    await until('released', async () => (await page.getByTestId('entity-locked-by').textContent()) === 'nobody');
    await page.getByTestId('entity-delete').click();
    await page.getByTestId('entity-delete-dialog').getByTestId('dialog-confirm').click();
    await page.getByTestId('entity-state-none').waitFor();
    assert.equal(await page.getByTestId('entity-meta').isVisible(), false);
    const res = await fetch(`${API}/entities/Counter/e2e`);
    assert.equal(res.status, 404, 'the state is gone');
  });

  await step('the cluster page says a runtime on its own is not a cluster', async () => {
    await page.getByTestId('nav-cluster').click();
    await until('cluster summary', async () => /Not a cluster/.test(await page.getByTestId('cluster-summary').textContent()));
    assert.equal(await page.getByTestId('member-table').isVisible(), false);
  });

  await step('behind an API key, the page passes ?code= on to the API and its event stream', async () => {
    const keyed = process.env.DASHBOARD_KEYED_URL;
    await page.goto(`${keyed}/dashboard/`);
    await until('refusal shown', async () => (await page.getByTestId('connection').getAttribute('data-state')) === 'error');
    assert.match(await page.getByTestId('connection').textContent(), /401/);
    assert.match(await page.getByTestId('list-error').textContent(), /401 Unauthorized: missing or wrong API key/);
    await page.goto(`${keyed}/dashboard/?code=${encodeURIComponent(process.env.DASHBOARD_KEY)}`);
    await page.locator('[data-testid="connection"][data-state="ok"][data-transport="push"]').waitFor();
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
