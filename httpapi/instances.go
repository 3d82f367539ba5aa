package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/godurable/durable"
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
	// A nil body is no input: the client passes an empty RawMessage through as nothing.
	id, err := a.c.Start(r.Context(), r.PathValue("name"), body, opts...)
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
	q := r.URL.Query()
	var v statusView
	var failOn500 bool
	var err error
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
			a.fail(w, r, err)
			return
		}
	}
	var opts []durable.StatusOption
	if v.history {
		opts = append(opts, durable.WithHistory())
	}
	st, err := a.c.Status(r.Context(), r.PathValue("id"), opts...)
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

// list serves GET /instances.
func (a *api) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := durable.Query{
		IDPrefix: q.Get("instanceIdPrefix"),
		// Ours, not the reference API's: the exact orchestration name.
		Name: q.Get("name"),
		// Outputs show even when inputs do not, and the runtime loads both or neither.
		WithInput: true,
	}
	showInput, err := boolParam(q, "showInput", true)
	if err == nil {
		query.Continuation, err = continuation(r)
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
	if err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.c.List(r.Context(), query)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]statusJSON, 0, len(page.Instances))
	for _, st := range page.Instances {
		out = append(out, toStatusJSON(st, statusView{input: showInput}))
	}
	setContinuation(w, page.Continuation)
	if page.Unserved > 0 {
		// Ours: the page lacks the instances of partitions whose member is away.
		w.Header().Set("x-durable-unserved-partitions", strconv.Itoa(page.Unserved))
	}
	writeJSON(w, http.StatusOK, out)
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

// purgeWhere serves DELETE /instances: purge by creation time and status.
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
	n, err := a.c.PurgeWhere(r.Context(), from, to, statuses...)
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
