// Package dashboard serves a live web dashboard for the runtime: a single page that
// reads and drives the Durable Functions HTTP management API (package httpapi) from the
// browser.
//
// The page shows
//   - the instance list, newest first or by instance id, filtered on the server by
//     status, exact orchestrator name, instance id prefix and creation time, paged with
//     the API's continuation tokens, and a purge of the finished instances the filters
//     select;
//   - an instance: name, id, status, times, version and trace id when the status has
//     them, its parent and its sub-orchestrations, input, output and custom status, a
//     timeline picture of its history (activities, sub-orchestrations, timers and
//     entity calls as bars from scheduled to completed, external events and lifecycle
//     changes as markers, failures in red) and the history as a table;
//   - the management actions its status allows: raise event, suspend and terminate
//     while it runs, resume when suspended, rewind when failed, restart (under a new
//     id or its own) and purge once it has ended, each showing the API's own message
//     when the runtime refuses it;
//   - the entities with their state, last operation and lock holder, and forms to
//     signal or delete one.
//
// The list and the instance follow the runtime over the API's event stream (GET
// /runtime/webhooks/durabletask/events, Server-Sent Events), which pushes what they show
// each time it changes; when the stream is refused (too many open, an old server) or
// cut, the page polls every second instead and tries the stream again later. The
// header says which: "Live (pushed)" or "Live".
//
// Mount it under a prefix of its own, beside the API, which it calls by absolute path:
//
//	mux.Handle("/runtime/webhooks/durabletask/", api)
//	mux.Handle("/api/", api)
//	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", dashboard.Handler()))
//
// The page is plain HTML, CSS and JavaScript modules embedded in the binary: no build
// step, nothing fetched from elsewhere, so it works offline and its Content Security
// Policy admits only its own origin. Views live in the URL fragment (#/instances/ID),
// so links to them can be shared. When the API requires a key, open the page as
// /dashboard/?code=KEY: every API call then carries it.
//
// The browser test (browser_test.go) drives the page in headless Chromium through
// Playwright against an in-process runtime; it needs /usr/bin/chromium and
// `npm ci --prefix dashboard/e2e`, and skips without them unless
// DURABLE_REQUIRE_BROWSER=1.
package dashboard
