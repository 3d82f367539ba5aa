// Entry point: routes the URL fragment to a view and keeps the connection indicator.
// Navigation lives in the fragment (#/instances/ID) so the server serves one page for
// every view, whatever prefix it is mounted under, and ?code= stays in the query.

import { listView } from './list.js';
import { instanceView } from './instance.js';
import { entitiesView, entityView } from './entities.js';
import { clusterView } from './cluster.js';
import { h } from './dom.js';

const main = document.getElementById('main');
const conn = document.getElementById('connection');
let current = null;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const segments = path.split('/').filter(Boolean).map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  return { segments, query: new URLSearchParams(query) };
}

function resolve({ segments, query }) {
  const [first, ...rest] = segments;
  if (!first) return { nav: 'instances', view: () => listView(main, query) };
  if (first === 'instances' && rest.length === 1) return { nav: 'instances', view: () => instanceView(main, rest[0]) };
  if (first === 'entities' && rest.length === 0) return { nav: 'entities', view: () => entitiesView(main, query) };
  if (first === 'entities' && rest.length === 2) return { nav: 'entities', view: () => entityView(main, rest[0], rest[1]) };
  if (first === 'cluster' && rest.length === 0) return { nav: 'cluster', view: () => clusterView(main) };
  return {
    nav: '',
    view: () => {
      main.replaceChildren(h('section', { class: 'empty', 'data-testid': 'not-found' },
        h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the instances'))));
      return { unmount() {} };
    },
  };
}

let first = true;

function route() {
  const r = resolve(parseHash());
  if (current) current.unmount();
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  delete conn.dataset.transport; // the new view says how it follows the runtime, if it does
  current = r.view();
  // A new view is a new page to a screen reader or keyboard user: start them at its top.
  if (!first) {
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true });
  }
  first = false;
}

// The views call the API on their own; the header only listens to the outcome.
window.addEventListener('api-status', (ev) => {
  const { ok, error } = ev.detail;
  const state = ok ? 'ok' : 'error';
  const live = conn.dataset.transport === 'push' ? 'Live (pushed)' : 'Live';
  const text = ok ? live : `API: ${error ? error.describe() : 'error'}`;
  if (conn.dataset.state === state && conn.querySelector('.text').textContent === text) return;
  conn.dataset.state = state;
  conn.querySelector('.text').textContent = text;
  conn.title = ok ? `Connected to the management API; ${conn.dataset.transport === 'push' ? 'changes are pushed' : 'the page polls'}` : text;
});

window.addEventListener('hashchange', route);
route();
