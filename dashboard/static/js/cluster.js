// The cluster: its members and who owns each partition, refreshed while shown.

import * as api from './api.js';
import { h, replace, poll } from './dom.js';

const REFRESH_MS = 2000;

export function clusterView(main) {
  const summary = h('p', { 'data-testid': 'cluster-summary' });
  const errorBox = h('p', { class: 'message error', role: 'alert', 'data-testid': 'cluster-error', hidden: true });
  const members = h('tbody', { 'data-testid': 'member-rows' });
  const partitions = h('tbody', { 'data-testid': 'partition-rows' });
  const tables = h('div', { hidden: true },
    h('h2', {}, 'Members'),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'grid', 'data-testid': 'member-table' },
        h('caption', { class: 'visually-hidden' }, 'Live members'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Member'), h('th', { scope: 'col' }, 'Peer'), h('th', { scope: 'col' }, 'Partitions'))),
        members)),
    h('h2', {}, 'Partitions'),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'grid', 'data-testid': 'partition-table' },
        h('caption', { class: 'visually-hidden' }, 'Who owns each partition'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Partition'), h('th', { scope: 'col' }, 'Primary'),
          h('th', { scope: 'col' }, 'Standby'), h('th', { scope: 'col' }, 'Epoch'))),
        partitions)));

  main.append(h('section', { class: 'view', 'aria-labelledby': 'cluster-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'cluster-title' }, 'Cluster')),
    summary, errorBox, tables));
  document.title = 'Cluster · Durable';

  function render(info) {
    if (!info.cluster) {
      summary.textContent = 'Not a cluster: this runtime runs on its own, and every instance is local.';
      tables.hidden = true;
      return;
    }
    const live = new Set(info.members.map((m) => m.id));
    const owned = new Map();
    for (const o of info.owners) owned.set(o.primary, (owned.get(o.primary) || 0) + 1);
    const unowned = info.owners.filter((o) => !o.primary || !live.has(o.primary)).length;
    summary.textContent = `Cluster ${info.cluster}: ${info.members.length} members, ${info.partitions} partitions` +
      (unowned ? `, ${unowned} waiting for an owner` : ', all served') + '.';
    replace(members, ...info.members.map((m) => h('tr', { 'data-testid': 'member-row' },
      h('td', {}, m.id + (m.id === info.self ? ' (this one)' : '')),
      h('td', {}, m.peer),
      h('td', {}, String(owned.get(m.id) || 0)))));
    replace(partitions, ...info.owners.map((o) => {
      let primary = o.primary || '(none)';
      if (o.primary && !live.has(o.primary)) primary += ' (down)';
      return h('tr', { 'data-testid': 'partition-row' },
        h('td', {}, String(o.partition)), h('td', {}, primary), h('td', {}, o.standby || ''), h('td', {}, String(o.epoch)));
    }));
    tables.hidden = false;
  }

  const poller = poll(async () => {
    try {
      render(await api.getCluster());
      errorBox.hidden = true;
    } catch (e) {
      if (e.name === 'AbortError') return;
      errorBox.textContent = `Could not load the cluster: ${e.describe ? e.describe() : e.message}`;
      errorBox.hidden = false;
    }
  }, REFRESH_MS);
  return { unmount() { poller.stop(); } };
}
