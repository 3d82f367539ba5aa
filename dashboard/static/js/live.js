// Keeps a view up to date. The server pushes each change over an event stream
// (GET /runtime/webhooks/durabletask/events) while it offers one; when the stream
// cannot be opened or breaks, the view polls instead and tries the stream again a
// little later. The header's connection indicator says which of the two is in use.

import { ApiError, report, reasonPhrase } from './api.js';
import { poll } from './dom.js';

const RETRY_STREAM_MS = 15000;

function setTransport(kind) {
  const conn = document.getElementById('connection');
  if (conn) conn.dataset.transport = kind;
}

/**
 * Follows what a view shows.
 * @param {object} o
 * @param {string} o.event name of the events that carry the view's data
 * @param {() => string} o.url the stream's URL for the view's current state
 * @param {(data: any) => void} o.onData called with each event's data
 * @param {(e: ApiError) => void} o.onError the server could not read what the view shows
 * @param {() => Promise<void>} o.refresh one poll, used while there is no stream
 * @param {number | (() => number)} o.every how often to poll
 */
export function liveFeed({ event, url, onData, onError, refresh, every }) {
  let source = null;
  let poller = null;
  let retry = 0;

  function open() {
    close();
    if (document.hidden) return; // opened when the tab is shown
    if (typeof EventSource !== 'function') {
      fallBack();
      return;
    }
    const es = new EventSource(url());
    source = es;
    es.addEventListener(event, (ev) => {
      if (source !== es) return;
      setTransport('push');
      report(true, {});
      onData(JSON.parse(ev.data));
    });
    es.addEventListener('apiError', (ev) => {
      if (source !== es) return;
      const d = JSON.parse(ev.data);
      const e = new ApiError(d.status, reasonPhrase(d.status), d.message);
      // As for a request: a refusal (4xx other than auth) is the API working as intended.
      report(d.status < 500 && d.status !== 401 && d.status !== 403, { error: e });
      onError(e);
    });
    // Refused (a key, a bound on streams), cut, or not served at all: the browser would
    // retry on its own only for some of these, so polling takes over in every case.
    es.onerror = () => {
      if (source === es) fallBack();
    };
  }

  function fallBack() {
    close();
    setTransport('poll');
    poller = poll(refresh, every);
    retry = setTimeout(open, RETRY_STREAM_MS);
  }

  function close() {
    source?.close();
    source = null;
    poller?.stop();
    poller = null;
    clearTimeout(retry);
  }

  // A hidden tab lets its stream go: a browser keeps only six connections to a server
  // over HTTP/1.1, and streams of tabs nobody looks at would starve the others.
  function visibility() {
    if (document.hidden) close();
    else if (!source && !poller) open();
  }
  document.addEventListener('visibilitychange', visibility);

  open();
  return {
    /** The view's state changed (filters, page): show what it now asks for at once. */
    follow() {
      if (poller) poller.now();
      else open();
    },
    stop() {
      document.removeEventListener('visibilitychange', visibility);
      close();
    },
  };
}
