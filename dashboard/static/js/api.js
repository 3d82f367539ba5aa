// Client of the Durable Functions HTTP management API served beside the dashboard.
// Paths are absolute so the page works under any mount prefix; the API key, if the
// page was opened with ?code=KEY, rides along on every call the same way.

export const BASE = '/runtime/webhooks/durabletask';

const apiKey = new URLSearchParams(location.search).get('code');

/** An HTTP answer outside 2xx, carrying the API's own explanation. */
export class ApiError extends Error {
  constructor(status, statusText, message) {
    super(message || statusText || `HTTP ${status}`);
    this.status = status;
    this.statusText = statusText;
  }

  /** A one-line description for people: "410 Gone: instance has finished". */
  describe() {
    const head = this.status ? `${this.status} ${this.statusText || ''}`.trim() : 'Network error';
    return this.message && this.message !== this.statusText ? `${head}: ${this.message}` : head;
  }
}

function url(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  if (apiKey) q.set('code', apiKey);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

// The connection indicator in the header listens for these, so each view need not.
export function report(ok, detail) {
  window.dispatchEvent(new CustomEvent('api-status', { detail: { ok, ...detail } }));
}

async function request(method, path, { params, body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, cache: 'no-store', signal };
  if (body !== undefined) {
    init.body = body;
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(url(path, params), init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    const e = new ApiError(0, '', `cannot reach the API (${err.message})`);
    report(false, { error: e });
    throw e;
  }
  if (!res.ok) {
    const e = new ApiError(res.status, res.statusText || reasonPhrase(res.status), await errorText(res));
    // A refused action (4xx other than auth) is the API working as intended.
    report(res.status < 500 && res.status !== 401 && res.status !== 403, { error: e });
    throw e;
  }
  report(true, {});
  return res;
}

// HTTP/2 and some proxies drop reason phrases; people still want "Gone", not just 410.
export function reasonPhrase(status) {
  return {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
    409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
  }[status] || '';
}

// The API answers errors as JSON ({"message": ...} or similar) or plain text; take
// whatever explanation it gave.
async function errorText(res) {
  const text = (await res.text().catch(() => '')).trim();
  if (!text) return '';
  try {
    const j = JSON.parse(text);
    if (typeof j === 'string') return j;
    for (const k of ['message', 'Message', 'error', 'Error', 'detail', 'title']) {
      const v = j && j[k];
      if (typeof v === 'string' && v) return v;
      if (v && typeof v.message === 'string') return v.message;
    }
  } catch {
    // not JSON: plain text is the message
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

async function json(res) {
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

const CONTINUATION = 'x-ms-continuation-token';

// The listing's parameters for filter f, as GET /instances and the event stream take them.
function listParams(f) {
  return {
    runtimeStatus: (f.statuses || []).join(','),
    name: f.name,
    instanceIdPrefix: f.prefix,
    createdTimeFrom: f.from,
    createdTimeTo: f.to,
    newestFirst: f.newest ? 'true' : undefined,
    top: f.top,
    showInput: 'false',
  };
}

/**
 * One page of instances.
 * @param {{statuses?: string[], name?: string, prefix?: string, from?: string, to?: string, newest?: boolean, top?: number}} f
 * @param {string} token continuation token of the page to fetch ('' for the first)
 */
export async function listInstances(f, token, signal) {
  const res = await request('GET', `${BASE}/instances`, {
    params: listParams(f),
    headers: token ? { [CONTINUATION]: token } : {},
    signal,
  });
  return { instances: (await json(res)) || [], next: res.headers.get(CONTINUATION) || '' };
}

/** The event stream that pushes the page of instances listInstances(f, token) reads. */
export function listEventsURL(f, token) {
  return url(`${BASE}/events`, { ...listParams(f), continuationToken: token });
}

/** Deletes the finished instances filter f selects; createdTimeFrom is required. */
export async function purgeWhere(f) {
  return json(await request('DELETE', `${BASE}/instances`, {
    params: {
      runtimeStatus: (f.statuses || []).join(','),
      name: f.name,
      instanceIdPrefix: f.prefix,
      createdTimeFrom: f.from,
      createdTimeTo: f.to,
    },
  }));
}

function instancePath(id) {
  return `${BASE}/instances/${encodeURIComponent(id)}`;
}

const FULL_STATUS = { showHistory: 'true', showHistoryOutput: 'true', showInput: 'true' };

/** The instance's status with its full history (null when it does not exist). */
export async function getInstance(id, signal) {
  try {
    const res = await request('GET', instancePath(id), { params: FULL_STATUS, signal });
    return await json(res);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** The event stream that pushes what getInstance(id) reads. */
export function instanceEventsURL(id) {
  return url(`${BASE}/events`, { instanceId: id, ...FULL_STATUS });
}

export async function raiseEvent(id, name, payloadText) {
  return request('POST', `${instancePath(id)}/raiseEvent/${encodeURIComponent(name)}`, { body: payloadText });
}

export async function control(id, op, reason) {
  return request('POST', `${instancePath(id)}/${op}`, { params: { reason } });
}

export async function purge(id) {
  return json(await request('DELETE', instancePath(id)));
}

/** Starts the instance's orchestrator again with its input; returns the new instance's id. */
export async function restart(id, newInstanceId) {
  const r = await json(await request('POST', `${instancePath(id)}/restart`, {
    params: { restartWithNewInstanceId: newInstanceId ? 'true' : 'false' },
  }));
  return r && r.id;
}

/** Starts orchestrator name (optionally under instanceId) with the JSON text input. */
export async function startOrchestration(name, instanceId, inputText) {
  let path = `/api/orchestrators/${encodeURIComponent(name)}`;
  if (instanceId) path += `/${encodeURIComponent(instanceId)}`;
  return json(await request('POST', path, { body: inputText || undefined }));
}

/** One page of entities, with their state. */
export async function listEntities({ name, top }, token, signal) {
  const path = name ? `${BASE}/entities/${encodeURIComponent(name)}` : `${BASE}/entities`;
  const res = await request('GET', path, {
    params: { fetchState: 'true', top },
    headers: token ? { [CONTINUATION]: token } : {},
    signal,
  });
  return { entities: (await json(res)) || [], next: res.headers.get(CONTINUATION) || '' };
}

function entityPath(name, key) {
  return `${BASE}/entities/${encodeURIComponent(name)}/${encodeURIComponent(key)}`;
}

/**
 * The entity as a listing shows it (entityId, lastOperationTime, lockedBy, state), or
 * undefined when it has no state.
 */
export async function getEntity(name, key, signal) {
  try {
    return await json(await request('GET', entityPath(name, key), { params: { metadata: 'true' }, signal }));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

/** Deletes the entity's state: a "delete" operation, run after those already queued. */
export async function deleteEntity(name, key) {
  return request('DELETE', entityPath(name, key));
}

export async function signalEntity(name, key, op, inputText) {
  return request('POST', entityPath(name, key), { params: { op }, body: inputText || undefined });
}

/** The members and who owns each partition, as the member serving the page sees it. */
export async function getCluster(signal) {
  return json(await request('GET', `${BASE}/cluster`, { signal }));
}
