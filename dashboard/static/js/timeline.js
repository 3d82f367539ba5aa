// The timeline picture of an instance's history: one horizontal bar per activity,
// sub-orchestration, timer and entity call (scheduled → completed), diamonds for external
// events and lifecycle changes, all on one time axis.
//
// buildTimeline is pure (history in, model out) so it can be reasoned about apart from
// drawing; drawTimeline turns the model into SVG sized to its container.

import { s, h, fmtDuration, fmtClock, shortJSON } from './dom.js';

// The API sends Durable Functions' PascalCase field names; accept any casing so a
// serializer change does not blank the picture.
function lower(ev) {
  const o = {};
  for (const [k, v] of Object.entries(ev || {})) o[k.toLowerCase()] = v;
  return o;
}

const time = (v) => {
  const t = typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(t) ? t : NaN;
};

const num = (v) => (v === undefined || v === null || v === '' ? undefined : Number(v));

function failureText(e) {
  const fd = e.failuredetails || e.failure;
  if (fd && typeof fd === 'object') return fd.message || fd.errorMessage || shortJSON(fd, 200);
  return [e.reason, e.details].filter(Boolean).join(': ') || 'failed';
}

const KIND_LABEL = {
  activity: 'Activity', suborchestration: 'Sub-orchestration', timer: 'Timer', entity: 'Entity call', lock: 'Entity lock',
};

/**
 * Turns a history (historyEvents of the status API) into spans and markers.
 * @param {object[]} events
 * @param {{status: string, createdTime: string, lastUpdatedTime: string, now: number}} inst
 */
export function buildTimeline(events, inst) {
  const spans = [];
  const markers = [];
  const suspended = [];
  const open = new Map(); // scheduling event id → span waiting for its completion
  const timers = new Map(); // FireAt → open timer spans due then, oldest first
  let start = time(inst.createdTime);
  let end = NaN;
  let suspendedAt = NaN;
  let endStatus = inst.status;

  const openSpan = (e, kind, name, extra = {}) => {
    const span = { kind, name: name || KIND_LABEL[kind], start: time(e.timestamp), end: NaN, open: true, failed: false, ...extra };
    spans.push(span);
    const id = num(e.eventid);
    if (id !== undefined) open.set(`${kind}:${id}`, span);
    return span;
  };

  // A completion refers to its scheduling event by id; when the API has merged the two
  // (Durable Functions drops TaskScheduled and adds FunctionName and ScheduledTime to
  // the completion), the completion alone gives the whole span.
  const closeSpan = (e, kind, idField, failed) => {
    const id = num(e[idField]);
    const key = `${kind}:${id}`;
    let span = id !== undefined ? open.get(key) : undefined;
    if (span) open.delete(key);
    else {
      span = { kind, name: e.functionname || e.name || KIND_LABEL[kind], start: time(e.scheduledtime), open: true, failed: false };
      if (!Number.isFinite(span.start)) span.start = time(e.timestamp);
      spans.push(span);
    }
    if (e.functionname && span.name === KIND_LABEL[kind]) span.name = e.functionname;
    if (kind === 'entity' && e.instanceid && !span.name.includes('→')) span.name = `${span.name} → ${e.instanceid}`;
    if (e.instanceid && !span.instanceId) span.instanceId = e.instanceid;
    span.end = time(e.timestamp);
    span.open = false;
    span.failed = failed;
    if (failed) span.error = failureText(e);
    else if (e.result !== undefined) span.result = e.result;
    if (e.input !== undefined && span.input === undefined) span.input = e.input;
    return span;
  };

  for (const raw of events || []) {
    const e = lower(raw);
    const t = time(e.timestamp);
    switch (e.eventtype) {
      case 'ExecutionStarted':
        // createdTime has whole seconds only; the event has the precise start.
        if (Number.isFinite(t)) start = t;
        break;
      case 'TaskScheduled':
        openSpan(e, 'activity', e.name, { input: e.input });
        break;
      case 'TaskCompleted':
        closeSpan(e, 'activity', 'taskscheduledid', false);
        break;
      case 'TaskFailed':
        closeSpan(e, 'activity', 'taskscheduledid', true);
        break;
      case 'SubOrchestrationInstanceCreated':
        openSpan(e, 'suborchestration', e.name, { instanceId: e.instanceid, input: e.input });
        break;
      case 'SubOrchestrationInstanceCompleted':
        closeSpan(e, 'suborchestration', 'taskscheduledid', false);
        break;
      case 'SubOrchestrationInstanceFailed':
        closeSpan(e, 'suborchestration', 'taskscheduledid', true);
        break;
      case 'TimerCreated': {
        const span = openSpan(e, 'timer', 'Timer', { fireAt: time(e.fireat) });
        const q = timers.get(e.fireat) || [];
        q.push(span);
        timers.set(e.fireat, q);
        break;
      }
      case 'TimerFired': {
        // Timers carry no id in the projected history, only their due time, which is
        // what a TimerFired repeats.
        const waiting = num(e.timerid) === undefined ? timers.get(e.fireat)?.shift() : undefined;
        const span = waiting || closeSpan(e, 'timer', 'timerid', false);
        if (waiting) {
          waiting.end = t;
          waiting.open = false;
          for (const [k, v] of open) if (v === waiting) open.delete(k);
        }
        if (!Number.isFinite(span.fireAt)) span.fireAt = time(e.fireat);
        break;
      }
      case 'EntityOperationCalled':
        openSpan(e, 'entity', `${e.name || 'call'} → ${e.instanceid || 'entity'}`, { input: e.input });
        break;
      case 'EntityOperationCompleted':
        closeSpan(e, 'entity', 'taskscheduledid', false);
        break;
      case 'EntityOperationFailed':
        closeSpan(e, 'entity', 'taskscheduledid', true);
        break;
      case 'EntityLockRequested':
        openSpan(e, 'lock', `lock ${e.instanceid || e.name || ''}`.trim());
        break;
      case 'EntityLockGranted':
        closeSpan(e, 'lock', 'taskscheduledid', false);
        break;
      case 'EntityOperationSignaled':
        markers.push({ kind: 'signal', time: t, label: `signal ${e.name || ''}`.trim(), detail: e.instanceid });
        break;
      case 'EventRaised':
        markers.push({ kind: 'event', time: t, label: e.name || 'event', detail: shortJSON(e.input, 120) });
        break;
      case 'EventSent':
        markers.push({ kind: 'sent', time: t, label: `sent ${e.name || ''}`.trim(), detail: e.instanceid });
        break;
      case 'ExecutionSuspended':
        suspendedAt = t;
        markers.push({ kind: 'lifecycle', time: t, label: 'suspended', detail: e.reason || e.input });
        break;
      case 'ExecutionResumed':
        if (Number.isFinite(suspendedAt)) suspended.push({ start: suspendedAt, end: t });
        suspendedAt = NaN;
        markers.push({ kind: 'lifecycle', time: t, label: 'resumed', detail: e.reason || e.input });
        break;
      case 'ExecutionRewound':
        markers.push({ kind: 'lifecycle', time: t, label: 'rewound', detail: e.reason || e.input });
        break;
      case 'ExecutionTerminated':
        markers.push({ kind: 'lifecycle', failed: true, time: t, label: 'terminated', detail: e.reason || e.input });
        break;
      case 'ContinueAsNew':
      case 'ContinuedAsNew':
        markers.push({ kind: 'lifecycle', time: t, label: 'continued as new' });
        break;
      case 'ExecutionCompleted':
        end = t;
        if (e.orchestrationstatus) endStatus = e.orchestrationstatus;
        break;
      default:
        break;
    }
  }

  const terminal = ['Completed', 'Failed', 'Terminated', 'Canceled'].includes(inst.status);
  if (!Number.isFinite(end)) end = terminal ? time(inst.lastUpdatedTime) : inst.now;
  if (Number.isFinite(suspendedAt)) suspended.push({ start: suspendedAt, end: terminal ? end : inst.now });

  // Work still open when the instance ended was abandoned; work open on a live
  // instance is in progress and grows with the clock.
  for (const sp of spans) {
    if (!Number.isFinite(sp.start)) sp.start = start;
    if (sp.open) {
      sp.abandoned = terminal;
      sp.end = terminal ? end : inst.now;
    }
  }
  spans.sort((a, b) => a.start - b.start || a.end - b.end);

  let t0 = start;
  let t1 = end;
  for (const sp of spans) {
    if (sp.start < t0) t0 = sp.start;
    if (sp.end > t1) t1 = sp.end;
  }
  for (const m of markers) {
    if (m.time < t0) t0 = m.time;
    if (m.time > t1) t1 = m.time;
  }
  if (!Number.isFinite(t0)) t0 = inst.now;
  if (!Number.isFinite(t1) || t1 <= t0) t1 = t0 + 1;

  return {
    t0, t1,
    orchestration: { start, end, status: endStatus, running: !terminal },
    spans, markers: markers.filter((m) => Number.isFinite(m.time)), suspended,
  };
}

// Tick spacing: the "nice" step (1, 2, 5 × 10^k ms) that gives about `count` ticks.
function niceStep(range, count) {
  const raw = range / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return Math.max(1, m * pow);
  return Math.max(1, 10 * pow);
}

function tickLabel(ms, step) {
  if (ms === 0) return '0';
  if (step < 1000) return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(step < 100 ? 2 : 1)} s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const sec = Math.round(ms / 1000);
  const hh = Math.floor(sec / 3600);
  const mm = Math.floor((sec % 3600) / 60);
  const ss = String(sec % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

const MAX_ROWS = 300;
const ROW = 26;
const BAR = 16;
const AXIS = 30;

function truncate(text, px) {
  const max = Math.max(4, Math.floor(px / 7)); // ~7 px per character at 12 px
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function spanTooltip(sp) {
  const lines = [`${KIND_LABEL[sp.kind]}: ${sp.name}`];
  if (sp.instanceId) lines.push(`instance ${sp.instanceId}`);
  lines.push(`${fmtClock(sp.start)} → ${sp.open ? (sp.abandoned ? 'never finished' : 'running') : fmtClock(sp.end)}`);
  lines.push(`duration ${fmtDuration(sp.end - sp.start)}${sp.open && !sp.abandoned ? ' so far' : ''}`);
  if (sp.kind === 'timer' && Number.isFinite(sp.fireAt)) lines.push(`fires at ${fmtClock(sp.fireAt)}`);
  if (sp.failed) lines.push(`failed: ${sp.error}`);
  if (sp.result !== undefined) lines.push(`result ${shortJSON(sp.result, 160)}`);
  return lines.join('\n');
}

/**
 * Draws the model into container as an SVG sized to the container's width.
 * onOpenInstance(id) is called when a sub-orchestration bar is activated.
 */
export function drawTimeline(container, model, { now, onOpenInstance } = {}) {
  const width = Math.max(520, container.clientWidth || 900);
  const labelW = Math.min(240, Math.round(width * 0.26));
  const left = labelW + 12;
  const right = width - 24;
  const spans = model.spans.slice(0, MAX_ROWS);
  const hasMarkers = model.markers.length > 0;
  const rowsCount = 1 + (hasMarkers ? 1 : 0) + spans.length;
  const height = AXIS + rowsCount * ROW + 10;

  // A live instance keeps a little room on the right so the bars' growing ends are visible.
  const t0 = model.t0;
  let t1 = model.t1;
  if (model.orchestration.running) t1 += (t1 - t0) * 0.04;
  const scale = (right - left) / (t1 - t0);
  const x = (t) => left + (Math.min(Math.max(t, t0), t1) - t0) * scale;

  const counts = {};
  for (const sp of model.spans) counts[sp.kind] = (counts[sp.kind] || 0) + 1;
  const summary = Object.entries(counts).map(([k, n]) => `${n} ${KIND_LABEL[k].toLowerCase()}${n > 1 ? 's' : ''}`);
  if (model.markers.length) summary.push(`${model.markers.length} event marker${model.markers.length > 1 ? 's' : ''}`);

  const svg = s('svg', {
    width, height, viewBox: `0 0 ${width} ${height}`, class: 'timeline', role: 'img',
    'aria-labelledby': 'tl-title tl-desc', 'data-testid': 'timeline-svg',
  },
  s('title', { id: 'tl-title' }, 'Timeline of the instance history'),
  s('desc', { id: 'tl-desc' }, summary.length ? `Shows ${summary.join(', ')} over ${fmtDuration(model.t1 - model.t0)}.` : 'No scheduled work yet.'));

  // Axis and grid.
  const range = t1 - t0;
  const step = niceStep(range, Math.floor((right - left) / 110));
  const grid = s('g', { class: 'tl-grid' });
  for (let v = 0; v <= range + 1e-9; v += step) {
    const gx = left + v * scale;
    grid.append(
      s('line', { x1: gx, x2: gx, y1: AXIS - 6, y2: height - 6 }),
      s('text', { x: gx, y: AXIS - 12, 'text-anchor': v === 0 ? 'start' : 'middle', class: 'tl-tick' }, tickLabel(Math.round(v), step)));
  }
  grid.append(s('text', { x: 8, y: AXIS - 12, class: 'tl-tick' }, `start ${fmtClock(t0)}`));
  svg.append(grid);

  let row = 0;
  const rowY = () => AXIS + row * ROW;
  const label = (text, cls, full) => s('text', { x: 8, y: rowY() + ROW / 2 + 4, class: `tl-label ${cls || ''}` },
    s('title', {}, full || text), truncate(text, labelW - 8));

  // Row 1: the orchestration itself, with suspended stretches hatched.
  {
    const o = model.orchestration;
    const y = rowY() + (ROW - BAR) / 2;
    const g = s('g', { class: `tl-row tl-orchestration status-${o.status}`, 'data-testid': 'timeline-orchestration' });
    g.append(label('Orchestration', 'strong'));
    const ox = x(o.start);
    const bar = s('rect', {
      x: ox, y, width: Math.max(3, x(o.end) - ox), height: BAR, rx: 3,
      class: `tl-bar orchestration ${o.running ? 'open' : ''} status-${o.status}`,
    }, s('title', {}, `Orchestration ${o.status}\n${fmtClock(o.start)} → ${o.running ? 'running' : fmtClock(o.end)}\n${fmtDuration(o.end - o.start)}`));
    g.append(bar);
    for (const p of model.suspended) {
      g.append(s('rect', { x: x(p.start), y, width: Math.max(2, x(p.end) - x(p.start)), height: BAR, class: 'tl-suspended' },
        s('title', {}, `suspended ${fmtDuration(p.end - p.start)}`)));
    }
    svg.append(g);
    row++;
  }

  // Row 2: external events and lifecycle changes as diamonds, labelled when there is room.
  if (hasMarkers) {
    const g = s('g', { class: 'tl-row tl-markers', 'data-testid': 'timeline-markers' });
    g.append(label('Events'));
    const cy = rowY() + ROW / 2;
    let lastLabelEnd = -Infinity;
    for (const m of [...model.markers].sort((a, b) => a.time - b.time)) {
      const mx = x(m.time);
      const r = 6;
      g.append(s('polygon', {
        points: `${mx},${cy - r} ${mx + r},${cy} ${mx},${cy + r} ${mx - r},${cy}`,
        class: `tl-marker ${m.kind} ${m.failed ? 'failed' : ''}`, 'data-testid': 'timeline-marker', 'data-kind': m.kind,
      }, s('title', {}, `${m.label} at ${fmtClock(m.time)}${m.detail ? `\n${m.detail}` : ''}`)));
      const text = truncate(m.label, 140);
      const w = text.length * 6.5;
      if (mx + 9 > lastLabelEnd && mx + 9 + w < width) {
        g.append(s('text', { x: mx + 9, y: cy + 4, class: 'tl-marker-label' }, text));
        lastLabelEnd = mx + 9 + w + 8;
      } else if (mx - 9 - w > Math.max(lastLabelEnd, left)) {
        // No room on the right (the marker is at the end of the axis): label it on the left.
        g.append(s('text', { x: mx - 9, y: cy + 4, 'text-anchor': 'end', class: 'tl-marker-label' }, text));
        lastLabelEnd = mx + 8;
      }
    }
    svg.append(g);
    row++;
  }

  // One row per span.
  for (const sp of spans) {
    const y = rowY() + (ROW - BAR) / 2;
    const cls = ['tl-bar', sp.kind, sp.failed ? 'failed' : '', sp.open ? 'open' : '', sp.abandoned ? 'abandoned' : ''].join(' ').trim();
    const g = s('g', { class: 'tl-row', 'data-testid': 'timeline-row', 'data-kind': sp.kind },
      // The whole row is the hover and click target, not just its thin bar.
      s('rect', { x: 0, y: rowY(), width, height: ROW, class: 'tl-hit' }));
    // Plain characters only: the page ships no fonts, so symbols must exist everywhere.
    const prefix = sp.kind === 'suborchestration' ? '↳ ' : '';
    // Calls of one activity differ by input, so a short input tells them apart.
    const arg = sp.kind !== 'timer' && sp.input !== undefined && sp.input !== null ? shortJSON(sp.input, 26) : '';
    const text = sp.kind === 'timer' && Number.isFinite(sp.fireAt) && Number.isFinite(sp.start)
      ? `Timer ${fmtDuration(sp.fireAt - sp.start)}` : `${sp.name}${arg ? ` ${arg}` : ''}`;
    g.append(label(prefix + text, sp.failed ? 'failed' : '', `${KIND_LABEL[sp.kind]}: ${sp.name}`));
    const bx = x(sp.start);
    const bw = Math.max(3, x(sp.end) - bx);
    const rect = s('rect', {
      x: bx, y, width: bw, height: BAR, rx: 3, class: cls, 'data-testid': 'timeline-bar', 'data-kind': sp.kind,
      'data-failed': sp.failed ? 'true' : 'false',
    }, s('title', {}, spanTooltip(sp)));
    g.append(rect);
    // A pending timer's planned fire time, when it is on the axis, as a tick mark.
    if (sp.kind === 'timer' && sp.open && Number.isFinite(sp.fireAt) && sp.fireAt <= t1) {
      const fx = x(sp.fireAt);
      g.append(s('line', { x1: fx, x2: fx, y1: y - 2, y2: y + BAR + 2, class: 'tl-fireat' }));
    }
    // The duration goes inside the bar when it fits, else beside it on whichever side
    // has room.
    let dur = (sp.failed ? 'failed · ' : '') + fmtDuration(sp.end - sp.start);
    if (sp.kind === 'timer' && sp.open && !sp.abandoned && Number.isFinite(sp.fireAt)) dur += ` so far · fires ${fmtClock(sp.fireAt)}`;
    const durW = dur.length * 6.5;
    const outside = `tl-dur ${sp.failed ? 'failed' : ''}`;
    // Open bars are pale, so their text takes the page's text colour, not white.
    if (bw > durW + 8) g.append(s('text', { x: bx + 5, y: y + BAR - 4, class: `tl-dur inside ${sp.open ? 'on-open' : ''}` }, dur));
    else if (bx + bw + 4 + durW < width) g.append(s('text', { x: bx + bw + 4, y: y + BAR - 4, class: outside }, dur));
    else if (bx - 4 - durW > left) g.append(s('text', { x: bx - 4, y: y + BAR - 4, 'text-anchor': 'end', class: outside }, dur));
    if (sp.kind === 'suborchestration' && sp.instanceId && onOpenInstance) {
      g.classList.add('clickable');
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'link');
      g.setAttribute('aria-label', `Open sub-orchestration ${sp.instanceId}`);
      const openIt = () => onOpenInstance(sp.instanceId);
      g.addEventListener('click', openIt);
      g.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); openIt(); } });
    }
    svg.append(g);
    row++;
  }

  // "Now" on a live instance, so growing bars read as "still running".
  if (model.orchestration.running && Number.isFinite(now)) {
    const nx = x(now);
    svg.append(s('line', { x1: nx, x2: nx, y1: AXIS - 6, y2: height - 6, class: 'tl-now' }),
      s('text', { x: nx - 4, y: height - 1, 'text-anchor': 'end', class: 'tl-tick' }, 'now'));
  }

  const notes = [];
  if (model.spans.length > spans.length) {
    notes.push(h('p', { class: 'muted' }, `Showing the first ${spans.length} of ${model.spans.length} tasks; the history table below lists them all.`));
  }
  container.replaceChildren(svg, ...notes);
  return svg;
}

/** The legend, as HTML beside the picture so it reflows and reads as a list. */
export function legend() {
  const item = (cls, text) => h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text);
  return h('ul', { class: 'tl-legend', 'aria-label': 'Timeline legend' },
    item('activity', 'Activity'), item('suborchestration', 'Sub-orchestration'), item('timer', 'Timer'),
    item('entity', 'Entity call'), item('failed', 'Failed'), item('open', 'In progress'), item('suspended', 'Suspended'),
    item('marker', 'External event / lifecycle'));
}
