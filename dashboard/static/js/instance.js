// One instance: its status and payloads, its parent and sub-orchestrations, the
// timeline picture of its history, the history as a table, and the management actions
// its status allows. The server pushes each change (polling where it cannot).

import * as api from './api.js';
import {
  h, replace, badge, timeEl, fmtDuration, fmtClock, prettyJSON, shortJSON, link, TERMINAL,
  openDialog, field, checkJSON, toast,
} from './dom.js';
import { buildTimeline, drawTimeline, legend } from './timeline.js';
import { liveFeed } from './live.js';

const ACTIVE = ['Pending', 'Running', 'ContinuedAsNew', 'Suspended'];

// Each action: what it is called and the statuses it applies to; its button shows only
// then. The API stays the judge (the status may change meanwhile) and its refusal is
// shown as is.
const ACTIONS = [
  { op: 'raise', label: 'Raise event', when: ACTIVE },
  { op: 'suspend', label: 'Suspend', when: ['Pending', 'Running', 'ContinuedAsNew'] },
  { op: 'resume', label: 'Resume', when: ['Suspended'] },
  { op: 'terminate', label: 'Terminate', when: ACTIVE, danger: true },
  { op: 'rewind', label: 'Rewind', when: ['Failed'] },
  { op: 'restart', label: 'Restart', when: [...TERMINAL] },
  { op: 'purge', label: 'Purge', when: [...TERMINAL], danger: true },
];

function payload(v, testid) {
  if (v === undefined || v === null) return h('p', { class: 'muted payload-empty', 'data-testid': testid }, 'none');
  return h('pre', { class: 'payload', 'data-testid': testid, tabindex: '0' }, prettyJSON(v));
}

function parentOf(events) {
  for (const raw of events || []) {
    if ((raw.EventType || raw.eventType) !== 'ExecutionStarted') continue;
    const p = raw.ParentInstance || raw.parentInstance;
    return p?.OrchestrationInstance?.InstanceId || p?.orchestrationInstance?.instanceId || null;
  }
  return null;
}

// The sub-orchestrations the history names, in the order they were started, each with
// how far the history says it got.
function childrenOf(events) {
  const children = new Map();
  for (const e of events || []) {
    const type = e.EventType || '';
    if (!type.startsWith('SubOrchestrationInstance') || !e.InstanceId) continue;
    const state = { SubOrchestrationInstanceCreated: 'Running', SubOrchestrationInstanceCompleted: 'Completed',
      SubOrchestrationInstanceFailed: 'Failed' }[type];
    children.set(e.InstanceId, { id: e.InstanceId, name: e.FunctionName || e.Name || '', state });
  }
  return [...children.values()];
}

export function instanceView(main, id) {
  let status = null;
  let model = null;
  let historySig = '';
  let controller = null;

  const title = h('h1', { 'data-testid': 'instance-name', class: 'instance-title' }, '…');
  const statusEl = h('span', { 'data-testid': 'instance-status-wrap', 'aria-live': 'polite' });
  const meta = h('dl', { class: 'meta', 'data-testid': 'instance-meta' });
  const actionMsg = h('p', { class: 'message', 'data-testid': 'action-message', hidden: true });
  const missing = h('div', { class: 'message error', 'data-testid': 'instance-missing', role: 'alert', hidden: true });
  const loadError = h('p', { class: 'message error', role: 'alert', 'data-testid': 'instance-error', hidden: true });
  const timelineBox = h('div', { class: 'timeline-box', 'data-testid': 'timeline' });
  const historyBox = h('div', { class: 'table-wrap' });
  const historyCount = h('span', { class: 'muted' });
  const payloads = {
    input: h('div', {}), output: h('div', {}), custom: h('div', {}),
  };
  const outputTitle = h('h2', {}, 'Output');
  const childrenList = h('ul', { class: 'children', 'data-testid': 'children' });
  const childrenCard = h('section', { class: 'card', 'aria-labelledby': 'children-title', hidden: true },
    h('div', { class: 'card-head' }, h('h2', { id: 'children-title' }, 'Sub-orchestrations'), h('span', { class: 'muted' })),
    childrenList);

  const buttons = ACTIONS.map((a) => h('button', {
    type: 'button', class: a.danger ? 'danger-outline' : '', 'data-testid': `action-${a.op}`, hidden: true,
    title: `Applies to ${a.when.join(', ')} instances`, onclick: () => runAction(a),
  }, a.label));

  const body = h('div', { class: 'instance-body' },
    h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Instance actions' }, buttons),
    actionMsg,
    h('section', { class: 'card', 'aria-labelledby': 'timeline-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'timeline-title' }, 'Timeline'), legend()),
      timelineBox),
    childrenCard,
    h('div', { class: 'payloads' },
      h('section', { class: 'card' }, h('h2', {}, 'Input'), payloads.input),
      h('section', { class: 'card' }, outputTitle, payloads.output),
      h('section', { class: 'card' }, h('h2', {}, 'Custom status'), payloads.custom)),
    h('section', { class: 'card' },
      h('details', { class: 'history', 'data-testid': 'history', open: true },
        h('summary', {}, h('h2', {}, 'History '), historyCount),
        historyBox)));

  main.append(h('section', { class: 'view', 'aria-labelledby': 'instance-heading' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/', 'data-testid': 'back-to-list' }, 'Instances'), ' / ', h('span', { class: 'mono' }, id)),
    h('div', { class: 'view-head', id: 'instance-heading' }, title, statusEl),
    meta, loadError, missing, body));
  document.title = `${id} · Durable`;

  function setMessage(kind, text) {
    actionMsg.hidden = false;
    actionMsg.className = `message ${kind}`;
    actionMsg.dataset.kind = kind;
    // Refusals interrupt; confirmations are announced politely.
    actionMsg.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    actionMsg.textContent = text;
  }

  // One read, while the server cannot push.
  async function refresh() {
    controller?.abort();
    controller = new AbortController();
    let st;
    try {
      st = await api.getInstance(id, controller.signal);
    } catch (e) {
      if (e.name !== 'AbortError') showError(e);
      return;
    }
    show(st);
  }

  function showError(e) {
    if (e.status === 404) {
      show(null);
      return;
    }
    loadError.textContent = `Could not load the instance: ${e.describe ? e.describe() : e.message}`;
    loadError.hidden = false;
  }

  function show(st) {
    loadError.hidden = true;
    if (!st) {
      status = null;
      body.hidden = true;
      meta.hidden = true;
      title.textContent = 'Instance not found';
      replace(statusEl);
      delete statusEl.dataset.status;
      missing.hidden = false;
      replace(missing, 'No instance has the id ', h('code', {}, id), '. It may have been purged, or not started yet. ',
        h('a', { href: '#/' }, 'Back to the instances'));
      return;
    }
    missing.hidden = true;
    body.hidden = false;
    meta.hidden = false;
    status = st;
    ACTIONS.forEach((a, i) => { buttons[i].hidden = !a.when.includes(st.runtimeStatus); });
    render(st);
  }

  function render(st) {
    const now = Date.now();
    title.textContent = st.name || '(unnamed)';
    if (statusEl.dataset.status !== st.runtimeStatus) {
      statusEl.dataset.status = st.runtimeStatus;
      replace(statusEl, badge(st.runtimeStatus, { 'data-testid': 'instance-status' }));
    }
    const terminal = TERMINAL.has(st.runtimeStatus);
    const events = st.historyEvents || [];
    const sig = `${st.lastUpdatedTime}|${st.runtimeStatus}|${events.length}`;
    // A live instance's open bars grow with the clock, so it is rebuilt each refresh;
    // a finished one only when its history changed.
    const redraw = sig !== historySig || !terminal;
    if (redraw) {
      model = buildTimeline(events, { status: st.runtimeStatus, createdTime: st.createdTime, lastUpdatedTime: st.lastUpdatedTime, now });
    }
    // The status times have whole seconds; the history, when there is one, is precise.
    // The history covers the current execution only: after continue-as-new the
    // instance is older than it, and then the status times tell the age.
    const o = model.orchestration;
    const coarse = (terminal ? Date.parse(st.lastUpdatedTime) : now) - Date.parse(st.createdTime);
    const precise = o.end - o.start;
    const took = Number.isFinite(precise) && !(Math.abs(coarse - precise) >= 1000) ? precise : coarse;
    const parent = parentOf(events);
    // Versions and trace ids are shown when the runtime reports them.
    const version = st.version ?? st.Version;
    const traceId = st.traceId ?? st.TraceId;
    replace(meta,
      h('div', {}, h('dt', {}, 'Instance ID'), h('dd', { class: 'mono', 'data-testid': 'instance-id' }, st.instanceId)),
      h('div', {}, h('dt', {}, 'Created'), h('dd', { 'data-testid': 'instance-created' }, timeEl(st.createdTime))),
      h('div', {}, h('dt', {}, 'Last updated'), h('dd', { 'data-testid': 'instance-updated' }, timeEl(st.lastUpdatedTime))),
      h('div', {}, h('dt', {}, terminal ? 'Took' : 'Running for'), h('dd', { 'data-testid': 'instance-duration' }, fmtDuration(took))),
      parent ? h('div', {}, h('dt', {}, 'Parent'),
        h('dd', { class: 'mono' }, h('a', { href: link('instances', parent), 'data-testid': 'instance-parent' }, parent))) : null,
      version ? h('div', {}, h('dt', {}, 'Version'), h('dd', { class: 'mono', 'data-testid': 'instance-version' }, String(version))) : null,
      traceId ? h('div', {}, h('dt', {}, 'Trace ID'), h('dd', { class: 'mono', 'data-testid': 'instance-trace-id' }, String(traceId))) : null);

    outputTitle.textContent = st.runtimeStatus === 'Failed' ? 'Failure' : st.runtimeStatus === 'Terminated' ? 'Output (reason)' : 'Output';
    if (sig !== historySig) {
      replace(payloads.input, payload(st.input, 'instance-input'));
      replace(payloads.output, payload(st.output, 'instance-output'));
      replace(payloads.custom, payload(st.customStatus, 'instance-custom-status'));
      renderHistory(events);
      renderChildren(events);
    }
    if (redraw) draw(now);
    historySig = sig;
  }

  function draw(now = Date.now()) {
    if (!model) return;
    drawTimeline(timelineBox, model, { now, onOpenInstance: (child) => { location.hash = link('instances', child); } });
    lastWidth = timelineBox.clientWidth;
  }

  function renderChildren(events) {
    const children = childrenOf(events);
    childrenCard.hidden = children.length === 0;
    childrenCard.querySelector('.card-head .muted').textContent = `(${children.length})`;
    replace(childrenList, children.map((c) => h('li', { 'data-testid': 'child', 'data-instance-id': c.id },
      h('a', { href: link('instances', c.id), class: 'mono', 'data-testid': 'child-link' }, c.id), ' ',
      h('span', {}, c.name), ' ', badge(c.state))));
  }

  function renderHistory(events) {
    historyCount.textContent = `(${events.length} event${events.length === 1 ? '' : 's'})`;
    if (!events.length) {
      replace(historyBox, h('p', { class: 'muted' }, 'No history yet.'));
      return;
    }
    const t0 = Date.parse(events[0].Timestamp || events[0].timestamp);
    const skip = new Set(['eventtype', 'timestamp', 'eventid', 'isplayed', 'functionname', 'name']);
    const rows = events.map((raw, i) => {
      const e = {};
      for (const [k, v] of Object.entries(raw)) e[k.toLowerCase()] = v;
      const t = Date.parse(e.timestamp);
      const detail = {};
      for (const [k, v] of Object.entries(raw)) if (!skip.has(k.toLowerCase()) && v !== null && v !== undefined && v !== '') detail[k] = v;
      const failed = /Failed|Terminated/.test(e.eventtype || '') || e.orchestrationstatus === 'Failed';
      return h('tr', { 'data-testid': 'history-row', class: failed ? 'failed' : '' },
        h('td', { class: 'num' }, String(i + 1)),
        h('td', { class: 'mono nowrap', title: e.timestamp || '' }, Number.isFinite(t) ? fmtClock(t) : '—'),
        h('td', { class: 'num mono' }, Number.isFinite(t) && Number.isFinite(t0) ? `+${fmtDuration(t - t0)}` : ''),
        h('td', { class: 'nowrap' }, e.eventtype || '?'),
        h('td', {}, e.functionname || e.name || ''),
        h('td', { class: 'mono detail', title: prettyJSON(detail).slice(0, 4000) }, Object.keys(detail).length ? shortJSON(detail, 160) : ''));
    });
    replace(historyBox, h('table', { class: 'grid compact', 'data-testid': 'history-table' },
      h('caption', { class: 'visually-hidden' }, 'History events in order'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', class: 'num' }, '#'), h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col', class: 'num' }, 'Since start'),
        h('th', { scope: 'col' }, 'Event'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Details'))),
      h('tbody', {}, rows)));
  }

  async function runAction(a) {
    const reason = h('input', { autocomplete: 'off', 'data-testid': 'action-reason', placeholder: 'optional' });
    const eventName = h('input', { autocomplete: 'off', required: true, 'data-testid': 'event-name' });
    const eventData = h('textarea', { rows: 6, class: 'mono', 'data-testid': 'event-payload', placeholder: '"approved"  or  {"by": "alice"}' });
    const newId = h('input', { type: 'checkbox', checked: true, 'data-testid': 'restart-new-id' });
    const dialogs = {
      raise: {
        title: 'Raise external event', confirm: 'Raise event',
        fields: [field('Event name', eventName), field('Payload (JSON, optional)', eventData, 'Delivered to WaitForExternalEvent with this name.')],
        submit: () => {
          if (!eventName.value.trim()) return 'Enter the event name.';
          const j = checkJSON(eventData.value);
          return j.ok ? { name: eventName.value.trim(), data: j.text } : j.error;
        },
      },
      purge: {
        title: 'Purge instance', confirm: 'Purge', danger: true,
        description: `Delete ${id} and its whole history? This cannot be undone. Only finished instances can be purged.`,
        fields: [], submit: () => ({}),
      },
      restart: {
        title: 'Restart instance', confirm: 'Restart',
        description: `Start ${status?.name || 'the orchestrator'} again with the input ${id} was started with.`,
        fields: [h('label', { class: 'toggle' }, newId, ' Under a new instance ID (else this one, replacing its history)')],
        submit: () => ({ newId: newId.checked }),
      },
    };
    const d = dialogs[a.op] || {
      title: `${a.label} instance`, confirm: a.label, danger: a.danger,
      description: `${a.label} ${id}. This applies to ${a.when.join(', ')} instances.`,
      fields: [field('Reason', reason, 'Recorded in the history.')],
      submit: () => ({ reason: reason.value.trim() }),
    };
    const values = await openDialog({ ...d, testid: 'action-dialog' });
    if (!values) return;
    buttons.forEach((b) => { b.disabled = true; });
    try {
      let restarted;
      if (a.op === 'raise') await api.raiseEvent(id, values.name, values.data);
      else if (a.op === 'purge') await api.purge(id);
      else if (a.op === 'restart') restarted = await api.restart(id, values.newId);
      else await api.control(id, a.op, values.reason);
      if (a.op === 'purge') {
        toast(`Purged ${id}`);
        location.hash = '#/';
        return;
      }
      if (restarted && restarted !== id) {
        toast(`Restarted as ${restarted}`);
        location.hash = link('instances', restarted);
        return;
      }
      setMessage('ok', a.op === 'raise'
        ? `Event "${values.name}" raised.`
        : `${a.label} accepted; the status updates when the runtime has applied it.`);
      feed.follow();
    } catch (e) {
      setMessage('error', `${a.label} refused: ${e.describe ? e.describe() : e.message}`);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  // Redraw the picture at the new width when the window is resized.
  let lastWidth = 0;
  let frame = 0;
  const ro = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      if (timelineBox.clientWidth !== lastWidth) draw();
    });
  });
  ro.observe(timelineBox);

  const feed = liveFeed({
    event: 'instance',
    url: () => api.instanceEventsURL(id),
    onData: show,
    onError: showError,
    refresh,
    every: () => (status && TERMINAL.has(status.runtimeStatus) ? 3000 : 1000),
  });
  // Changes are pushed, but a running instance's age and open bars grow by themselves.
  const clock = setInterval(() => {
    if (status && !TERMINAL.has(status.runtimeStatus) && !document.hidden) render(status);
  }, 1000);
  return {
    unmount() {
      feed.stop();
      clearInterval(clock);
      controller?.abort();
      ro.disconnect();
      cancelAnimationFrame(frame);
      document.querySelector('dialog[data-testid="action-dialog"]')?.close();
    },
  };
}
