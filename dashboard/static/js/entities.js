// Durable entities: the list with each entity's state and lock holder, and one
// entity's page, from which it can be signalled or deleted.

import * as api from './api.js';
import { h, replace, timeEl, prettyJSON, shortJSON, poll, link, openDialog, field, checkJSON, toast } from './dom.js';

const REFRESH_MS = 2000;

function entityId(e) {
  const id = e.entityId || e.EntityId || {};
  return { name: id.name ?? id.Name ?? '', key: id.key ?? id.Key ?? '' };
}

// The orchestration holding the entity in a critical section, as a link to it.
function lockHolder(e) {
  const by = e.lockedBy ?? e.LockedBy;
  return by ? h('a', { href: link('instances', by), 'data-testid': 'entity-lock-link' }, by) : '';
}

export function entitiesView(main, query) {
  let name = query.get('name') || '';
  let tokens = [''];
  let page = 0;
  let next = '';
  let controller = null;

  const tbody = h('tbody', { 'data-testid': 'entity-rows' });
  const empty = h('p', { class: 'empty-note', 'data-testid': 'entity-empty', hidden: true });
  const errorBox = h('p', { class: 'message error', role: 'alert', 'data-testid': 'entity-error', hidden: true });
  const prevBtn = h('button', { type: 'button', 'data-testid': 'entity-page-prev', onclick: () => go(page - 1) }, '← Previous');
  const nextBtn = h('button', { type: 'button', 'data-testid': 'entity-page-next', onclick: () => go(page + 1) }, 'Next →');
  const pageLabel = h('span', {});
  const nameInput = h('input', { type: 'search', value: name, autocomplete: 'off', 'data-testid': 'entity-filter-name', placeholder: 'all entities' });
  let t;
  nameInput.addEventListener('input', () => {
    clearTimeout(t);
    t = setTimeout(() => {
      name = nameInput.value.trim();
      const q = name ? `?name=${encodeURIComponent(name)}` : '';
      history.replaceState(null, '', `${location.pathname}${location.search}#/entities${q}`);
      tokens = [''];
      page = 0;
      poller.now();
    }, 250);
  });

  main.append(h('section', { class: 'view', 'aria-labelledby': 'entities-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'entities-title' }, 'Entities')),
    h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'filter-row' }, field('Entity name', nameInput, 'Exact name; entity names ignore case.'))),
    errorBox,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'grid', 'data-testid': 'entity-table' },
        h('caption', { class: 'visually-hidden' }, 'Stored entities and their state'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Key'),
          h('th', { scope: 'col' }, 'Last operation'), h('th', { scope: 'col' }, 'Locked by'), h('th', { scope: 'col' }, 'State'))),
        tbody)),
    empty,
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, prevBtn, pageLabel, nextBtn)));
  document.title = 'Entities · Durable';

  function go(p) {
    if (p < 0 || (p > page && !next)) return;
    if (p > page) tokens[p] = next;
    page = p;
    poller.now();
  }

  async function refresh() {
    controller?.abort();
    controller = new AbortController();
    let r;
    try {
      r = await api.listEntities({ name, top: 50 }, tokens[page], controller.signal);
      errorBox.hidden = true;
    } catch (e) {
      if (e.name === 'AbortError') return;
      errorBox.textContent = `Could not load entities: ${e.describe ? e.describe() : e.message}`;
      errorBox.hidden = false;
      return;
    }
    next = r.next;
    replace(tbody, r.entities.map((e) => {
      const { name: n, key } = entityId(e);
      const state = e.state ?? e.State;
      return h('tr', { 'data-testid': 'entity-row', 'data-entity-name': n, 'data-entity-key': key },
        h('td', {}, h('a', { href: link('entities', n, key), 'data-testid': 'entity-link' }, n)),
        h('td', { class: 'mono' }, key),
        h('td', {}, timeEl(e.lastOperationTime ?? e.LastOperationTime)),
        h('td', { class: 'mono', 'data-testid': 'entity-locked-by' }, lockHolder(e)),
        h('td', { class: 'mono detail state', 'data-testid': 'entity-state-preview', title: prettyJSON(state).slice(0, 4000) },
          state === undefined ? '' : shortJSON(state, 120)));
    }));
    empty.hidden = r.entities.length > 0;
    empty.textContent = name ? `No stored entity is named ${name}.` : 'No entities have state yet.';
    prevBtn.disabled = page === 0;
    nextBtn.disabled = !next;
    pageLabel.textContent = `Page ${page + 1}`;
  }

  const poller = poll(refresh, REFRESH_MS);
  return { unmount() { poller.stop(); controller?.abort(); } };
}

export function entityView(main, name, key) {
  let controller = null;
  let shownText;
  const stateBox = h('div', { 'data-testid': 'entity-state-box' });
  const msg = h('p', { class: 'message', 'data-testid': 'entity-message', hidden: true });
  const updated = h('span', { class: 'muted', 'aria-live': 'polite' });
  const meta = h('dl', { class: 'meta', 'data-testid': 'entity-meta', hidden: true });

  main.append(h('section', { class: 'view', 'aria-labelledby': 'entity-heading' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/entities', 'data-testid': 'back-to-entities' }, 'Entities'), ' / ', name, ' / ', h('span', { class: 'mono' }, key)),
    h('div', { class: 'view-head' },
      h('h1', { id: 'entity-heading' }, h('span', { 'data-testid': 'entity-name' }, name), ' ', h('span', { class: 'mono key', 'data-testid': 'entity-key' }, key)),
      h('div', { class: 'head-tools' },
        h('button', { type: 'button', 'data-testid': 'entity-signal', onclick: signal }, 'Signal operation'),
        h('button', { type: 'button', class: 'danger-outline', 'data-testid': 'entity-delete', onclick: remove }, 'Delete'))),
    msg,
    meta,
    h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'State'), updated), stateBox)));
  document.title = `${name}@${key} · Durable`;

  function say(kind, text) {
    msg.hidden = false;
    msg.className = `message ${kind}`;
    msg.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    msg.textContent = text;
  }

  async function refresh() {
    controller?.abort();
    controller = new AbortController();
    let e;
    try {
      e = await api.getEntity(name, key, controller.signal);
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(stateBox, h('p', { class: 'message error', role: 'alert' }, `Could not load the state: ${err.describe ? err.describe() : err.message}`));
      return;
    }
    meta.hidden = !e;
    if (e) {
      replace(meta,
        h('div', {}, h('dt', {}, 'Last operation'), h('dd', { 'data-testid': 'entity-last-operation' }, timeEl(e.lastOperationTime))),
        h('div', {}, h('dt', {}, 'Locked by'), h('dd', { class: 'mono', 'data-testid': 'entity-locked-by' }, lockHolder(e) || 'nobody')));
    }
    const text = e === undefined ? null : prettyJSON(e.state);
    if (shownText === text) return;
    shownText = text;
    replace(stateBox, text === null
      ? h('p', { class: 'muted', 'data-testid': 'entity-state-none' }, 'This entity has no state: it was never used or has been deleted.')
      : h('pre', { class: 'payload', 'data-testid': 'entity-state', tabindex: '0' }, text));
    updated.textContent = `changed ${new Date().toLocaleTimeString()}`;
  }

  async function signal() {
    const op = h('input', { autocomplete: 'off', required: true, 'data-testid': 'signal-op' });
    const input = h('textarea', { rows: 5, class: 'mono', 'data-testid': 'signal-input', placeholder: '5' });
    const v = await openDialog({
      title: `Signal ${name}@${key}`, confirm: 'Send signal', testid: 'signal-dialog',
      fields: [field('Operation', op), field('Input (JSON, optional)', input)],
      submit: () => {
        if (!op.value.trim()) return 'Enter the operation name.';
        const j = checkJSON(input.value);
        return j.ok ? { op: op.value.trim(), input: j.text } : j.error;
      },
    });
    if (!v) return;
    try {
      await api.signalEntity(name, key, v.op, v.input);
      say('ok', `Signal "${v.op}" accepted; the state updates once the entity has run it.`);
      poller.now();
    } catch (e) {
      say('error', `Signal refused: ${e.describe ? e.describe() : e.message}`);
    }
  }

  async function remove() {
    const ok = await openDialog({
      title: `Delete ${name}@${key}`, confirm: 'Delete', danger: true, testid: 'entity-delete-dialog',
      description: 'Deletes the entity\'s state, once the operations already queued for it have run. This cannot be undone.',
      fields: [], submit: () => true,
    });
    if (!ok) return;
    try {
      await api.deleteEntity(name, key);
      toast(`Deleting ${name}@${key}`);
      say('ok', 'Delete accepted; the state goes once the entity has run it.');
      poller.now();
    } catch (e) {
      say('error', `Delete refused: ${e.describe ? e.describe() : e.message}`);
    }
  }

  const poller = poll(refresh, REFRESH_MS);
  return {
    unmount() {
      poller.stop();
      controller?.abort();
      for (const d of document.querySelectorAll('dialog[data-testid="signal-dialog"], dialog[data-testid="entity-delete-dialog"]')) d.close();
    },
  };
}
