// The instance list: filters, order, paging over the API's continuation tokens, kept
// up to date by the server's event stream (or by polling where there is none), and
// purging what the filters select.

import * as api from './api.js';
import {
  h, replace, badge, timeEl, fmtDuration, link, STATUSES, TERMINAL, openDialog, field, checkJSON, toast,
} from './dom.js';
import { liveFeed } from './live.js';

const REFRESH_MS = 1000;
const PAGE_SIZES = [20, 50, 100, 200];

// Filters live in the fragment's query so a filtered view can be bookmarked or shared.
// Newest first is the default order; order=id lists by instance id.
function readFilters(q) {
  const top = Number(q.get('top'));
  return {
    statuses: new Set((q.get('status') || '').split(',').filter((s) => STATUSES.includes(s))),
    name: q.get('name') || '',
    prefix: q.get('prefix') || '',
    from: q.get('from') || '',
    to: q.get('to') || '',
    top: PAGE_SIZES.includes(top) ? top : 50,
    newest: q.get('order') !== 'id',
  };
}

function writeFilters(f) {
  const q = new URLSearchParams();
  if (f.statuses.size) q.set('status', [...f.statuses].join(','));
  for (const k of ['name', 'prefix', 'from', 'to']) if (f[k]) q.set(k, f[k]);
  if (f.top !== 50) q.set('top', String(f.top));
  if (!f.newest) q.set('order', 'id');
  const s = q.toString();
  // replaceState, not location.hash: changing a filter is not a new page to go back to,
  // and it must not re-mount the view.
  history.replaceState(null, '', `${location.pathname}${location.search}#/${s ? `?${s}` : ''}`);
}

// datetime-local inputs hold local wall-clock time; the API wants UTC ISO 8601.
function toISO(local) {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.000Z$/, 'Z');
}

const FINISHED = ['Completed', 'Failed', 'Terminated', 'Canceled'];

export function listView(main, query) {
  const f = readFilters(query);
  let tokens = [''];
  let page = 0;
  let next = '';
  let controller = null;
  const rows = new Map();

  const tbody = h('tbody', { 'data-testid': 'instance-rows' });
  const empty = h('p', { class: 'empty-note', 'data-testid': 'instance-empty', hidden: true });
  const errorBox = h('p', { class: 'message error', role: 'alert', 'data-testid': 'list-error', hidden: true });
  const pageLabel = h('span', { 'data-testid': 'page-number', 'aria-live': 'polite' });
  const prevBtn = h('button', { type: 'button', 'data-testid': 'page-prev', onclick: () => go(page - 1) }, '← Previous');
  const nextBtn = h('button', { type: 'button', 'data-testid': 'page-next', onclick: () => go(page + 1) }, 'Next →');
  const shown = h('span', { class: 'muted', 'data-testid': 'instance-count' });

  const statusBoxes = STATUSES.map((st) => {
    const box = h('input', { type: 'checkbox', value: st, 'data-testid': `filter-status-${st}`, checked: f.statuses.has(st) });
    box.addEventListener('change', () => {
      if (box.checked) f.statuses.add(st); else f.statuses.delete(st);
      changed();
    });
    return h('label', { class: `chip status-${st}` }, box, h('span', {}, st));
  });

  const text = (key, attrs) => {
    const input = h('input', { value: f[key], autocomplete: 'off', spellcheck: 'false', ...attrs });
    let t;
    input.addEventListener('input', () => {
      clearTimeout(t);
      t = setTimeout(() => { f[key] = input.value.trim(); changed(); }, 250);
    });
    return input;
  };
  const date = (key, attrs) => {
    const input = h('input', { type: 'datetime-local', step: '1', value: f[key], ...attrs });
    input.addEventListener('change', () => { f[key] = input.value; changed(); });
    return input;
  };
  const topSelect = h('select', { id: 'page-size', 'data-testid': 'filter-top' },
    PAGE_SIZES.map((n) => h('option', { value: n, selected: n === f.top }, `${n} per page`)));
  topSelect.addEventListener('change', () => { f.top = Number(topSelect.value); changed(); });
  const orderSelect = h('select', { 'data-testid': 'filter-order' },
    h('option', { value: 'newest', selected: f.newest }, 'Newest first'),
    h('option', { value: 'id', selected: !f.newest }, 'By instance ID'));
  orderSelect.addEventListener('change', () => { f.newest = orderSelect.value === 'newest'; changed(); });

  const liveBox = h('input', { type: 'checkbox', checked: true, 'data-testid': 'live-toggle' });
  liveBox.addEventListener('change', () => {
    if (liveBox.checked) feed = follow();
    else { feed.stop(); feed = null; }
  });

  const filters = h('form', { class: 'filters', 'data-testid': 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('fieldset', { class: 'statuses' }, h('legend', {}, 'Status'), statusBoxes),
    h('div', { class: 'filter-row' },
      field('Orchestrator name (exact)', text('name', { type: 'search', 'data-testid': 'filter-name', placeholder: 'any' })),
      field('Instance ID prefix', text('prefix', { type: 'search', 'data-testid': 'filter-prefix', placeholder: 'any' })),
      field('Created from', date('from', { 'data-testid': 'filter-from' })),
      field('Created before', date('to', { 'data-testid': 'filter-to' })),
      field('Order', orderSelect),
      h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, '\u00a0'),
        h('button', { type: 'button', 'data-testid': 'filter-clear', onclick: clearFilters }, 'Clear filters'))));

  main.append(h('section', { class: 'view', 'aria-labelledby': 'instances-title' },
    h('div', { class: 'view-head' },
      h('h1', { id: 'instances-title' }, 'Instances'),
      h('div', { class: 'head-tools' },
        h('label', { class: 'toggle' }, liveBox, ' Live updates'),
        h('button', { type: 'button', class: 'danger-outline', 'data-testid': 'purge-open', onclick: purgeDialog }, 'Purge…'),
        h('button', { type: 'button', class: 'primary', 'data-testid': 'start-open', onclick: startDialog }, 'Start orchestration'))),
    filters,
    errorBox,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'grid', 'data-testid': 'instance-table' },
        h('caption', { class: 'visually-hidden' }, 'Orchestration instances, updated as they change'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Instance ID'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Last updated'), h('th', { scope: 'col', class: 'num' }, 'Duration'))),
        tbody)),
    empty,
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, prevBtn, pageLabel, nextBtn, shown,
      h('label', { class: 'visually-hidden', for: 'page-size' }, 'Instances per page'), topSelect)));

  document.title = 'Instances · Durable';

  function clearFilters() {
    f.statuses.clear();
    f.name = f.prefix = f.from = f.to = '';
    for (const el of filters.querySelectorAll('input')) {
      if (el.type === 'checkbox') el.checked = false; else el.value = '';
    }
    changed();
  }

  function changed() {
    writeFilters(f);
    tokens = [''];
    page = 0;
    reload();
  }

  function go(p) {
    if (p < 0 || (p > page && !next)) return;
    if (p > page) tokens[p] = next;
    page = p;
    reload();
  }

  // What the filters and the page ask for: followed live, or read once when live
  // updates are off.
  function reload() {
    if (feed) feed.follow();
    else refresh();
  }

  function filter() {
    return {
      statuses: [...f.statuses], name: f.name, prefix: f.prefix, from: toISO(f.from), to: toISO(f.to), top: f.top, newest: f.newest,
    };
  }

  async function refresh() {
    controller?.abort();
    controller = new AbortController();
    let result;
    try {
      result = await api.listInstances(filter(), tokens[page], controller.signal);
    } catch (e) {
      if (e.name !== 'AbortError') showError(e);
      return;
    }
    show(result.instances, result.next);
  }

  function showError(e) {
    errorBox.textContent = `Could not load instances: ${e.describe ? e.describe() : e.message}`;
    errorBox.hidden = false;
  }

  function show(list, token) {
    errorBox.hidden = true;
    next = token;
    render(list);
  }

  function render(list) {
    const seen = new Set();
    const now = Date.now();
    list.forEach((st, i) => {
      const id = st.instanceId;
      seen.add(id);
      let row = rows.get(id);
      if (!row) {
        row = makeRow(id);
        rows.set(id, row);
      }
      updateRow(row, st, now);
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] || null);
    });
    for (const [id, row] of rows) {
      if (!seen.has(id)) { row.tr.remove(); rows.delete(id); }
    }
    const filtered = f.statuses.size || f.name || f.prefix || f.from || f.to;
    empty.hidden = list.length > 0;
    replace(empty, filtered ? 'No instances match these filters.'
      : ['No instances yet. Start one with ', h('strong', {}, 'Start orchestration'), ' or POST /api/orchestrators/{name}.']);
    prevBtn.disabled = page === 0;
    nextBtn.disabled = !next;
    pageLabel.textContent = `Page ${page + 1}`;
    shown.textContent = `${list.length} shown`;
  }

  function makeRow(id) {
    const cells = {
      id: h('td', { class: 'mono' }, h('a', { href: link('instances', id), 'data-testid': 'instance-link' }, id)),
      name: h('td', { 'data-testid': 'instance-name' }),
      status: h('td', {}),
      created: h('td', {}),
      updated: h('td', {}),
      duration: h('td', { class: 'num' }),
    };
    const tr = h('tr', { 'data-testid': 'instance-row', 'data-instance-id': id }, Object.values(cells));
    return { tr, cells, last: {} };
  }

  // Rows are updated in place, not rebuilt, so an update does not flicker, steal focus
  // from a link or reset a text selection.
  function updateRow(row, st, now) {
    const { cells, last } = row;
    if (last.name !== st.name) cells.name.textContent = st.name || '';
    if (last.status !== st.runtimeStatus) {
      replace(cells.status, badge(st.runtimeStatus, { 'data-testid': 'instance-status' }));
      row.tr.dataset.status = st.runtimeStatus;
    }
    if (last.created !== st.createdTime) replace(cells.created, timeEl(st.createdTime));
    if (last.updated !== st.lastUpdatedTime) replace(cells.updated, timeEl(st.lastUpdatedTime));
    const start = Date.parse(st.createdTime);
    const end = TERMINAL.has(st.runtimeStatus) ? Date.parse(st.lastUpdatedTime) : now;
    // Status times have whole seconds, so a quick instance shows no difference at all.
    const d = end - start;
    cells.duration.textContent = d < 1000 && TERMINAL.has(st.runtimeStatus) ? '< 1 s' : fmtDuration(d);
    row.last = { name: st.name, status: st.runtimeStatus, created: st.createdTime, updated: st.lastUpdatedTime };
  }

  async function startDialog() {
    const name = h('input', { required: true, autocomplete: 'off', 'data-testid': 'start-name' });
    const id = h('input', { autocomplete: 'off', 'data-testid': 'start-id', placeholder: 'random' });
    const input = h('textarea', { rows: 5, class: 'mono', 'data-testid': 'start-input', placeholder: '{"city": "Tokyo"}' });
    const started = await openDialog({
      title: 'Start orchestration',
      testid: 'start-dialog',
      fields: [field('Orchestrator name', name), field('Instance ID (optional)', id), field('Input (JSON, optional)', input)],
      confirm: 'Start',
      submit: async () => {
        if (!name.value.trim()) return 'Enter the orchestrator name.';
        const j = checkJSON(input.value);
        if (!j.ok) return j.error;
        try {
          return await api.startOrchestration(name.value.trim(), id.value.trim(), j.text);
        } catch (e) {
          return `Start refused: ${e.describe ? e.describe() : e.message}`;
        }
      },
    });
    if (started && started.id) {
      toast(`Started ${started.id}`);
      location.hash = link('instances', started.id);
    }
  }

  // Purges the finished instances the filters select. The API requires a start of the
  // creation range, so the dialog asks for one when the filters have none.
  async function purgeDialog() {
    const chosen = [...f.statuses].filter((st) => FINISHED.includes(st));
    const boxes = FINISHED.map((st) => h('label', { class: `chip status-${st}` },
      h('input', { type: 'checkbox', value: st, checked: chosen.length === 0 || chosen.includes(st), 'data-testid': `purge-status-${st}` }),
      h('span', {}, st)));
    const from = h('input', { type: 'datetime-local', step: '1', value: f.from, 'data-testid': 'purge-from' });
    const to = h('input', { type: 'datetime-local', step: '1', value: f.to, 'data-testid': 'purge-to' });
    const narrowed = [f.name && `named ${f.name}`, f.prefix && `with ids starting ${f.prefix}`].filter(Boolean).join(' and ');
    const done = await openDialog({
      title: 'Purge finished instances',
      testid: 'purge-dialog',
      danger: true,
      description: `Deletes the finished instances${narrowed ? ` ${narrowed}` : ''} created in this range with these statuses, `
        + 'and their histories. This cannot be undone; running instances are never purged.',
      fields: [h('fieldset', { class: 'statuses' }, h('legend', {}, 'Statuses'), boxes),
        field('Created from', from), field('Created before (optional)', to, 'Empty: now.')],
      confirm: 'Purge',
      submit: async (form) => {
        const statuses = [...form.querySelectorAll('fieldset input:checked')].map((b) => b.value);
        if (!statuses.length) return 'Choose at least one status.';
        if (!toISO(from.value)) return 'Enter the start of the creation range.';
        try {
          return await api.purgeWhere({ statuses, name: f.name, prefix: f.prefix, from: toISO(from.value), to: toISO(to.value) });
        } catch (e) {
          if (e.status === 404) return 'No finished instance matches: nothing was purged.';
          return `Purge refused: ${e.describe ? e.describe() : e.message}`;
        }
      },
    });
    if (done) {
      const n = done.instancesDeleted;
      toast(`Purged ${n} instance${n === 1 ? '' : 's'}`);
      reload();
    }
  }

  function follow() {
    return liveFeed({
      event: 'instances',
      url: () => api.listEventsURL(filter(), tokens[page]),
      onData: (p) => show(p.instances || [], p.continuationToken || ''),
      onError: showError,
      refresh,
      every: REFRESH_MS,
    });
  }

  let feed = follow();
  return {
    unmount() {
      feed?.stop();
      controller?.abort();
      document.querySelector('dialog[data-testid="purge-dialog"]')?.close();
    },
  };
}
