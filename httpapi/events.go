package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/godurable/durable"
)

// GET BASE/events is ours: a stream of Server-Sent Events (text/event-stream) that
// pushes what a dashboard would otherwise poll for, each time it changes.
//
//	?instanceId=ID (with showHistory, showHistoryOutput, showInput as for a status)
//	    event "instance": the status, as GET BASE/instances/{id} answers it.
//	otherwise (with the parameters of GET BASE/instances, and continuationToken for a
//	later page, since a browser's EventSource cannot send headers)
//	    event "instances": {"instances": [...], "continuationToken"?, "unservedPartitions"?}.
//	either way, when reading fails
//	    event "apiError": {"error", "message", "status"}, as an error answer says it,
//	    with the HTTP status it would have.
//
// The first event comes at once, the next ones as the runtime changes; comments keep
// an idle connection open. 503 when Options.MaxEventStreams are already open.

// keepAliveEvery spaces the comments that keep an idle stream's connection open
// through proxies, and tell the server when the client has gone.
const keepAliveEvery = 15 * time.Second

// writeTimeout bounds each write of a stream, so that a client that stopped reading
// lets go of its handler.
const writeTimeout = 30 * time.Second

// reconnectMillis is how long a browser waits before it opens a stream again after
// losing it.
const reconnectMillis = 2000

func (a *api) events(w http.ResponseWriter, r *http.Request) {
	key, fetch, err := a.topicOf(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	s := a.hub.subscribe(key, fetch)
	if s == nil {
		w.Header().Set("Retry-After", "10")
		a.fail(w, r, errorf(http.StatusServiceUnavailable, "TooManyStreams",
			"%d event streams are open, the most this server keeps; poll instead, or try again later", a.hub.max))
		return
	}
	defer a.hub.unsubscribe(s)
	closing := a.hub.closingOf(r)
	rc := http.NewResponseController(w)
	// A server's read timeout would end the stream: once it passes, the server takes
	// the client for gone.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would hold the events back
	w.WriteHeader(http.StatusOK)
	send := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: %d\n\n", reconnectMillis) {
		return
	}
	keepAlive := time.NewTicker(keepAliveEvery)
	defer keepAlive.Stop()
	for {
		var ok bool
		select {
		case ev := <-s.next:
			ok = send("event: %s\ndata: %s\n\n", ev.name, ev.data)
		case <-keepAlive.C:
			ok = send(": keep-alive\n\n")
		case <-r.Context().Done():
			return
		case <-closing:
			return
		}
		if !ok {
			return
		}
	}
}

// topicOf returns what the stream r asks for watches: its key, the same for every
// stream that would receive the same events, and how to read it.
func (a *api) topicOf(r *http.Request) (string, func(context.Context) (event, func()), error) {
	q := r.URL.Query()
	q.Del("code") // the API key is not part of what is watched
	key := q.Encode()
	if id := q.Get("instanceId"); id != "" {
		v, _, err := statusParams(q)
		if err != nil {
			return "", nil, err
		}
		return key, a.watchInstance(id, v), nil
	}
	token, err := decodeToken(q.Get("continuationToken"), "query parameter continuationToken")
	if err != nil {
		return "", nil, err
	}
	query, showInput, err := listQuery(q, token)
	if err != nil {
		return "", nil, err
	}
	return key, a.watchList(query, showInput), nil
}

// watchList reads a page of a listing.
func (a *api) watchList(query durable.Query, showInput bool) func(context.Context) (event, func()) {
	return func(ctx context.Context) (event, func()) {
		page, err := a.listPage(ctx, query, showInput)
		if err != nil {
			return a.failureEvent(err, "list")
		}
		return jsonEvent("instances", page), nil
	}
}

// watchInstance reads an instance's status. Its history is read again only when the
// row changed: every turn that adds to the history commits a new last-updated time.
func (a *api) watchInstance(id string, v statusView) func(context.Context) (event, func()) {
	var sig []byte
	var last event
	return func(ctx context.Context) (event, func()) {
		st, err := a.c.Status(ctx, id)
		if err != nil {
			sig = nil
			return a.failureEvent(err, "instances/"+id)
		}
		now := jsonEvent("", toStatusJSON(st, statusView{input: true}))
		now.data = strconv.AppendInt(now.data, st.LastUpdatedAt.UnixNano(), 10)
		if sig != nil && bytes.Equal(now.data, sig) {
			return last, nil
		}
		if v.history {
			if st, err = a.statusOf(ctx, id, v); err != nil {
				return a.failureEvent(err, "instances/"+id)
			}
		}
		sig, last = now.data, jsonEvent("instance", toStatusJSON(st, v))
		return last, nil
	}
}

// failureEvent is the event that tells a stream its topic could not be read, with
// what logs the failure when the stream first hears of it.
func (a *api) failureEvent(err error, what string) (event, func()) {
	status, body := describe(err)
	r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: BasePath + "/events (" + what + ")"}}
	return jsonEvent("apiError", streamError{body, status}), func() { a.logFailure(r, status, body.Error, err) }
}

// streamError is an error answer as an event carries it.
type streamError struct {
	errorBody
	Status int `json:"status"`
}

// jsonEvent encodes v on one line, as an event's data must be.
func jsonEvent(name string, v any) event {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status, body := describe(err)
		return jsonEvent("apiError", streamError{body, status})
	}
	return event{name: name, data: bytes.TrimRight(buf.Bytes(), "\n")}
}
