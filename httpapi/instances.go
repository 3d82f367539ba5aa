package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/godurable/durable"
	"go.opentelemetry.io/otel/propagation"
)

// start serves POST /orchestrators/{name}[/{instanceId}] and the seeds' starter route.
func (a *api) start(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// Parameters first: a bad one must not leave an instance started behind it.
	timeout, hasTimeout, err := secondsParam(q, "timeout")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	// The runtime wakes waiters on every commit, so the polling interval is validated
	// for compatibility but not needed.
	_, hasInterval, err := secondsParam(q, "pollingInterval")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	body, err := decodeBody(w, r, a.maxBody)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var opts []durable.StartOption
	if id := r.PathValue("instanceId"); id != "" {
		opts = append(opts, durable.WithInstanceID(id))
	}
	if v := q.Get("version"); v != "" { // none, or empty: the default version
		opts = append(opts, durable.WithVersion(v))
	}
	// A nil body is no input: the client passes an empty RawMessage through as nothing.
	// A caller's W3C trace context (traceparent, tracestate) makes the instance's
	// trace part of the caller's.
	ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	id, err := a.c.Start(ctx, r.PathValue("name"), body, opts...)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if hasTimeout && hasInterval {
		a.waitForCompletion(w, r, id, timeout)
		return
	}
	a.writeAccepted(w, r, id)
}

// waitForCompletion is the start's wait mode: the output if the instance completes in
// time, its status if it ends otherwise, the usual 202 if it is still going.
func (a *api) waitForCompletion(w http.ResponseWriter, r *http.Request, id string, timeout time.Duration) {
	extendWriteDeadline(w, timeout)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	st, err := a.c.WaitForCompletion(ctx, id)
	switch {
	case err == nil && st.RuntimeStatus == durable.StatusCompleted:
		writeRawJSON(w, http.StatusOK, st.Output)
	case err == nil:
		// Failed, Terminated or Canceled: the status says how it ended.
		full, err := a.c.Status(r.Context(), id)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, toStatusJSON(full, statusView{input: true}))
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		a.writeAccepted(w, r, id)
	default:
		a.fail(w, r, err)
	}
}

// status serves GET /instances/{id}.
func (a *api) status(w http.ResponseWriter, r *http.Request) {
	v, failOn500, err := statusParams(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	st, err := a.statusOf(r.Context(), r.PathValue("id"), v)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	code := http.StatusOK
	switch st.RuntimeStatus {
	case durable.StatusPending, durable.StatusRunning, durable.StatusContinuedAsNew, durable.StatusSuspended:
		w.Header().Set("Location", requestURL(r))
		w.Header().Set("Retry-After", "5")
		code = http.StatusAccepted
	case durable.StatusFailed:
		if failOn500 {
			code = http.StatusInternalServerError
		}
	}
	writeJSON(w, code, toStatusJSON(st, v))
}

// statusParams reads what a status query asks to see.
func statusParams(q url.Values) (v statusView, failOn500 bool, err error) {
	for _, p := range []struct {
		name string
		def  bool
		dst  *bool
	}{
		{"showHistory", false, &v.history},
		{"showHistoryOutput", false, &v.historyOutput},
		{"showInput", true, &v.input},
		{"returnInternalServerErrorOnFailure", false, &failOn500},
	} {
		if *p.dst, err = boolParam(q, p.name, p.def); err != nil {
			return v, false, err
		}
	}
	return v, failOn500, nil
}

// statusOf reads the status of instance id, with its history if v shows it.
func (a *api) statusOf(ctx context.Context, id string, v statusView) (*durable.Status, error) {
	var opts []durable.StatusOption
	if v.history {
		opts = append(opts, durable.WithHistory())
	}
	return a.c.Status(ctx, id, opts...)
}

// list serves GET /instances.
func (a *api) list(w http.ResponseWriter, r *http.Request) {
	token, err := continuation(r)
	var query durable.Query
	var showInput bool
	if err == nil {
		query, showInput, err = listQuery(r.URL.Query(), token)
	}
	var page *listing
	if err == nil {
		page, err = a.listPage(r.Context(), query, showInput)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if page.Continuation != "" {
		w.Header().Set(continuationHeader, page.Continuation)
	}
	if page.Unserved > 0 {
		// Ours: the page lacks the instances of partitions whose member is away.
		w.Header().Set("x-durable-unserved-partitions", strconv.Itoa(page.Unserved))
	}
	writeJSON(w, http.StatusOK, page.Instances)
}

// listQuery reads a listing's parameters; token is the continuation token the client
// sent back ("" for the first page).
func listQuery(q url.Values, token string) (query durable.Query, showInput bool, err error) {
	query = durable.Query{
		IDPrefix: q.Get("instanceIdPrefix"),
		// Ours, not the reference API's: the exact orchestration name.
		Name: q.Get("name"),
		// Outputs show even when inputs do not, and the runtime loads both or neither.
		WithInput:    true,
		Continuation: token,
	}
	showInput, err = boolParam(q, "showInput", true)
	if err == nil {
		// Ours: by creation time, newest first.
		query.NewestFirst, err = boolParam(q, "newestFirst", false)
	}
	if err == nil {
		query.CreatedFrom, err = timeParam(q, "createdTimeFrom")
	}
	if err == nil {
		query.CreatedTo, err = timeParam(q, "createdTimeTo")
	}
	if err == nil {
		query.Statuses, err = statusesParam(q)
	}
	if err == nil {
		query.PageSize, err = intParam(q, "top", 0)
	}
	return query, showInput, err
}

// listing is one page of a listing: the statuses, the encoded token of the next page
// ("" on the last) and how many partitions no member served.
type listing struct {
	Instances    []statusJSON `json:"instances"`
	Continuation string       `json:"continuationToken,omitempty"`
	Unserved     int          `json:"unservedPartitions,omitempty"`
}

func (a *api) listPage(ctx context.Context, query durable.Query, showInput bool) (*listing, error) {
	page, err := a.c.List(ctx, query)
	if err != nil {
		return nil, err
	}
	out := &listing{Instances: make([]statusJSON, 0, len(page.Instances)), Unserved: page.Unserved}
	for _, st := range page.Instances {
		out.Instances = append(out.Instances, toStatusJSON(st, statusView{input: showInput}))
	}
	if page.Continuation != "" {
		out.Continuation = encodeToken(page.Continuation)
	}
	return out, nil
}

// purged is the answer of both purges.
type purged struct {
	InstancesDeleted int `json:"instancesDeleted"`
}

// purge serves DELETE /instances/{id}.
func (a *api) purge(w http.ResponseWriter, r *http.Request) {
	if err := a.c.Purge(r.Context(), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, purged{InstancesDeleted: 1})
}

// purgeWhere serves DELETE /instances: purge by creation time and status, and (ours)
// by orchestration name and instance id prefix, as a listing filters.
func (a *api) purgeWhere(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("createdTimeFrom") {
		a.fail(w, r, errorf(http.StatusBadRequest, "InvalidParameter",
			"query parameter createdTimeFrom is required to purge by filter"))
		return
	}
	from, err := timeParam(q, "createdTimeFrom")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	to, err := timeParam(q, "createdTimeTo")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if to.IsZero() {
		to = time.Now()
	}
	statuses, err := statusesParam(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	n, err := a.c.PurgeMatching(r.Context(), durable.Query{
		Statuses: statuses, Name: q.Get("name"), IDPrefix: q.Get("instanceIdPrefix"), CreatedFrom: from, CreatedTo: to,
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if n == 0 {
		a.fail(w, r, errorf(http.StatusNotFound, "NothingToPurge", "no finished instance matched the filter"))
		return
	}
	writeJSON(w, http.StatusOK, purged{InstancesDeleted: n})
}

// raiseEvent serves POST /instances/{id}/raiseEvent/{eventName}.
func (a *api) raiseEvent(w http.ResponseWriter, r *http.Request) {
	body, err := decodeBody(w, r, a.maxBody)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.c.RaiseEvent(r.Context(), r.PathValue("id"), r.PathValue("eventName"), body); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// terminate serves POST /instances/{id}/terminate?reason=. Without a reason the
// terminated instance's output is null rather than an empty string.
func (a *api) terminate(w http.ResponseWriter, r *http.Request) {
	var reason any
	if q := r.URL.Query(); q.Has("reason") {
		reason = q.Get("reason")
	}
	a.accepted(w, r, a.c.Terminate(r.Context(), r.PathValue("id"), reason))
}

func (a *api) suspend(w http.ResponseWriter, r *http.Request) {
	a.accepted(w, r, a.c.Suspend(r.Context(), r.PathValue("id"), r.URL.Query().Get("reason")))
}

func (a *api) resume(w http.ResponseWriter, r *http.Request) {
	a.accepted(w, r, a.c.Resume(r.Context(), r.PathValue("id"), r.URL.Query().Get("reason")))
}

func (a *api) rewind(w http.ResponseWriter, r *http.Request) {
	a.accepted(w, r, a.c.Rewind(r.Context(), r.PathValue("id"), r.URL.Query().Get("reason")))
}

// accepted answers an instance operation: 202 with no body, or the error.
func (a *api) accepted(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// restart serves POST /instances/{id}/restart?restartWithNewInstanceId=.
func (a *api) restart(w http.ResponseWriter, r *http.Request) {
	newID, err := boolParam(r.URL.Query(), "restartWithNewInstanceId", true)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id, err := a.c.Restart(r.Context(), r.PathValue("id"), newID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeAccepted(w, r, id)
}

// extendWriteDeadline lets a response that waits on purpose outlast the server's
// write timeout by its wait; servers without deadlines ignore it.
func extendWriteDeadline(w http.ResponseWriter, wait time.Duration) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + 30*time.Second))
}
