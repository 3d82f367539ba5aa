// Small DOM and formatting helpers shared by the views. Everything that shows data
// from the API goes through text nodes (never innerHTML), so payloads cannot inject markup.

export const STATUSES = ['Pending', 'Running', 'Suspended', 'Completed', 'Failed', 'Terminated', 'Canceled', 'ContinuedAsNew'];
export const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child...) builds an HTML element. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

const SVGNS = 'http://www.w3.org/2000/svg';

/** s('rect', {x: 1, ...}) builds an SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVGNS, tag), attrs, children);
}

/** Replaces el's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** Local date and time, to the second: what people read; the ISO value goes in a tooltip. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local time of day with milliseconds, for events that are close together. */
export function fmtClock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A <time> element showing the local time, with the exact UTC value on hover. */
export function timeEl(iso, attrs = {}) {
  return h('time', { datetime: iso || undefined, title: iso || undefined, ...attrs }, fmtTime(iso));
}

/** "850 ms", "1.25 s", "3 min 4 s", "2 h 5 min", "3 d 4 h". */
export function fmtDuration(ms) {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2).replace(/\.?0+$/, '')} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const sec = Math.round(ms / 1000);
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${sec % 60} s`;
  if (sec < 86400) return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
  return `${Math.floor(sec / 86400)} d ${Math.floor((sec % 86400) / 3600)} h`;
}

/** Pretty JSON for display; strings that hold JSON are shown as the JSON they hold. */
export function prettyJSON(v) {
  if (v === undefined) return '';
  if (typeof v === 'string') {
    const t = v.trim();
    if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
      try { return JSON.stringify(JSON.parse(t), null, 2); } catch { /* a plain string after all */ }
    }
  }
  return JSON.stringify(v, null, 2);
}

/** JSON on one line, cut to max characters, for table cells and tooltips. */
export function shortJSON(v, max = 80) {
  if (v === undefined) return '';
  const t = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  if (t === undefined) return '';
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Checks text typed as a JSON payload: empty means "no payload". */
export function checkJSON(text) {
  const t = text.trim();
  if (!t) return { ok: true, text: '' };
  try {
    JSON.parse(t);
    return { ok: true, text: t };
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${e.message}. Strings need quotes, e.g. "approved".` };
  }
}

/** A status badge: coloured, but the word itself carries the meaning. */
export function badge(status, attrs = {}) {
  return h('span', { class: `badge status-${String(status || 'Unknown')}`, ...attrs }, status || 'Unknown');
}

/**
 * Runs fn now and then every `every` ms (a number or a function giving it), one call at
 * a time, paused while the tab is hidden. now() runs it again at once, after any call
 * in progress.
 */
export function poll(fn, every) {
  let stopped = false;
  let running = false;
  let again = false;
  let timer;
  const delay = () => (typeof every === 'function' ? every() : every);
  async function tick() {
    clearTimeout(timer);
    if (stopped) return;
    if (running) { again = true; return; }
    running = true;
    try {
      if (!document.hidden) await fn();
    } catch (e) {
      if (e.name !== 'AbortError') console.warn(e);
    } finally {
      running = false;
    }
    if (stopped) return;
    if (again) { again = false; tick(); return; }
    timer = setTimeout(tick, delay());
  }
  const onVisible = () => { if (!document.hidden) tick(); };
  document.addEventListener('visibilitychange', onVisible);
  tick();
  return {
    now: tick,
    stop() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}

/** Shows a short message in the page-wide notice area. */
export function toast(text, kind = 'info') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

/** Hash link to a view: #/instances/ID etc.; ids are encoded, so any id round-trips. */
export function link(...segments) {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

/**
 * Opens a modal form in a <dialog> and resolves with the values the submit callback
 * accepted, or null when cancelled. submit(form) returns an error string to keep the
 * dialog open and show it, or a value (anything else) to close.
 */
export function openDialog({ title, description, fields, confirm, danger, submit, testid }) {
  const error = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'dialog-error', hidden: true });
  const confirmBtn = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', 'data-testid': 'dialog-confirm' }, confirm);
  const cancelBtn = h('button', { type: 'button', 'data-testid': 'dialog-cancel' }, 'Cancel');
  const form = h('form', { method: 'dialog', class: 'dialog-form' },
    h('h2', { id: 'dialog-title' }, title),
    description ? h('p', { class: 'muted' }, description) : null,
    fields,
    error,
    h('div', { class: 'dialog-buttons' }, cancelBtn, confirmBtn));
  const dialog = h('dialog', { 'aria-labelledby': 'dialog-title', 'data-testid': testid || 'dialog' }, form);
  document.body.append(dialog);
  return new Promise((resolve) => {
    let result = null;
    const close = () => dialog.close();
    cancelBtn.addEventListener('click', close);
    dialog.addEventListener('close', () => { dialog.remove(); resolve(result); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      confirmBtn.disabled = true;
      try {
        const r = await submit(form);
        if (typeof r === 'string') {
          error.textContent = r;
          error.hidden = false;
          return;
        }
        result = r === undefined ? true : r;
        close();
      } finally {
        confirmBtn.disabled = false;
      }
    });
    dialog.showModal();
    // Start in the first field; a bare confirmation of something destructive starts on
    // Cancel, so a stray Enter does not purge.
    const first = form.querySelector('input, textarea, select');
    (first || (danger ? cancelBtn : confirmBtn)).focus();
  });
}

/** A labelled input for dialogs and filter bars. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  const hintEl = hint ? h('small', { id: `${id}-hint`, class: 'muted' }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
}
