package durable

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/godurable/durable/actors"
	"github.com/godurable/durable/internal/jsonpayload"
	"github.com/godurable/durable/persistence"
)

// Errors clients branch on with errors.Is.
var (
	ErrInstanceNotFound     = actors.ErrInstanceNotFound
	ErrInstanceExists       = actors.ErrInstanceExists
	ErrInstanceFinished     = actors.ErrInstanceFinished
	ErrWrongState           = actors.ErrWrongState
	ErrInvalidInput         = actors.ErrInvalidInput
	ErrUnknownOrchestration = actors.ErrUnknownOrchestration
	ErrPayloadTooLarge      = actors.ErrPayloadTooLarge
	// ErrUnavailable: the request was not recorded because the runtime cannot write
	// for now (its disk is full); nothing changed, and it may be tried again later.
	ErrUnavailable = actors.ErrUnavailable
)

// CorruptionError reports an instance whose stored state failed its checksum or did
// not decode: the journal holds it, but cannot serve it. Other instances are not
// affected. Find it with errors.As; InstanceID names the instance.
type CorruptionError = persistence.CorruptionError

// Client starts, queries and manages instances. It is safe for concurrent use.
type Client struct{ rt *Runtime }

// StartOption configures Start.
type StartOption func(*startOptions)

type startOptions struct {
	instanceID string
	version    string
	versionSet bool
	startAt    time.Time
}

// StartAt schedules the start for t: until then the instance is Pending, holds its
// input, and takes no request but a terminate (which ends it at once); at t it starts
// as if started then. The schedule is durable: it survives restarts. A time already
// past starts the instance at once.
func StartAt(t time.Time) StartOption {
	return func(o *startOptions) { o.startAt = t }
}

// WithInstanceID starts the instance under id instead of a random one. An id whose
// instance is still running is refused with ErrInstanceExists; a finished one is replaced.
func WithInstanceID(id string) StartOption {
	return func(o *startOptions) { o.instanceID = id }
}

// Start starts the orchestrator registered as name with input (any JSON-encodable
// value) and returns the instance id once the start is durable. The instance runs the
// orchestrator's default version unless WithVersion names another.
func (c *Client) Start(ctx context.Context, name string, input any, opts ...StartOption) (string, error) {
	h, err := c.rt.started()
	if err != nil {
		return "", err
	}
	in, err := encode("input", input)
	if err != nil {
		return "", err
	}
	var o startOptions
	for _, f := range opts {
		f(&o)
	}
	return h.Start(ctx, name, in, actors.StartOptions{InstanceID: o.instanceID, Version: o.version, VersionSet: o.versionSet,
		StartAt: o.startAt})
}

// StatusOption configures Status.
type StatusOption func(*statusOptions)

type statusOptions struct{ history bool }

// WithHistory includes the instance's history in the status.
func WithHistory() StatusOption { return func(o *statusOptions) { o.history = true } }

// Status returns the instance's last committed status.
func (c *Client) Status(ctx context.Context, id string, opts ...StatusOption) (*Status, error) {
	h, err := c.rt.started()
	if err != nil {
		return nil, err
	}
	var o statusOptions
	for _, f := range opts {
		f(&o)
	}
	row, hist, err := h.Get(ctx, id, o.history)
	if err != nil {
		return nil, err
	}
	return statusOf(row, hist), nil
}

// WaitForStart waits until the instance exists and has left Pending.
func (c *Client) WaitForStart(ctx context.Context, id string) (*Status, error) {
	return c.wait(ctx, id, actors.UntilStarted)
}

// WaitForCompletion waits until the instance has finished (Completed, Failed,
// Terminated or Canceled). The runtime wakes it when the instance commits a change.
func (c *Client) WaitForCompletion(ctx context.Context, id string) (*Status, error) {
	return c.wait(ctx, id, actors.UntilFinished)
}

func (c *Client) wait(ctx context.Context, id string, until actors.Until) (*Status, error) {
	h, err := c.rt.started()
	if err != nil {
		return nil, err
	}
	row, err := h.Wait(ctx, id, until)
	if err != nil {
		return nil, err
	}
	return statusOf(row, nil), nil
}

// RaiseEvent delivers an external event named name with data (JSON-encodable) to a
// running instance. It returns once the event is durable.
func (c *Client) RaiseEvent(ctx context.Context, id, name string, data any) error {
	h, err := c.rt.started()
	if err != nil {
		return err
	}
	b, err := encode("event data", data)
	if err != nil {
		return err
	}
	return h.RaiseEvent(ctx, id, name, b)
}

// TerminateOption configures Terminate.
type TerminateOption func(*terminateOptions)

type terminateOptions struct{ recursive bool }

// Recursive also terminates the instance's running sub-orchestrations.
func Recursive() TerminateOption { return func(o *terminateOptions) { o.recursive = true } }

// Terminate ends a running instance; reason becomes its output. Activities already
// running finish, but their results are ignored.
func (c *Client) Terminate(ctx context.Context, id string, reason any, opts ...TerminateOption) error {
	h, err := c.rt.started()
	if err != nil {
		return err
	}
	var o terminateOptions
	for _, f := range opts {
		f(&o)
	}
	b, err := encode("reason", reason)
	if err != nil {
		return err
	}
	return h.Terminate(ctx, id, b, o.recursive)
}

// Suspend pauses a running instance; events raised meanwhile are kept for Resume.
func (c *Client) Suspend(ctx context.Context, id, reason string) error {
	return c.control(ctx, id, reason, (*actors.Host).Suspend)
}

// Resume continues a suspended instance.
func (c *Client) Resume(ctx context.Context, id, reason string) error {
	return c.control(ctx, id, reason, (*actors.Host).Resume)
}

// Rewind re-runs the failed activities and sub-orchestrations of a failed instance,
// keeping every result that succeeded.
func (c *Client) Rewind(ctx context.Context, id, reason string) error {
	return c.control(ctx, id, reason, (*actors.Host).Rewind)
}

func (c *Client) control(ctx context.Context, id, reason string, op func(*actors.Host, context.Context, string, []byte) error) error {
	h, err := c.rt.started()
	if err != nil {
		return err
	}
	b, err := encode("reason", reason)
	if err != nil {
		return err
	}
	return op(h, ctx, id, b)
}

// Restart starts the instance's orchestrator again with its original input and at its
// version, under a new id when newID is set (the id is returned), else under the same
// id.
func (c *Client) Restart(ctx context.Context, id string, newID bool) (string, error) {
	st, err := c.Status(ctx, id)
	if err != nil {
		return "", err
	}
	opts := []StartOption{WithVersion(st.Version)}
	if !newID {
		opts = append(opts, WithInstanceID(id))
	}
	return c.Start(ctx, st.Name, json.RawMessage(st.Input), opts...)
}

// Purge deletes a finished instance and its history.
func (c *Client) Purge(ctx context.Context, id string) error {
	h, err := c.rt.started()
	if err != nil {
		return err
	}
	return h.Purge(ctx, id)
}

// Query selects instances. Zero fields do not filter.
type Query struct {
	Statuses     []RuntimeStatus
	Name         string
	IDPrefix     string
	CreatedFrom  time.Time // inclusive
	CreatedTo    time.Time // exclusive
	PageSize     int       // default 100
	Continuation string    // from the previous page
	WithInput    bool      // include inputs and outputs
	// NewestFirst lists by creation time, newest first, instead of in instance id
	// order. A continuation token is good only for the order that handed it out.
	NewestFirst bool
}

// Page is one page of a listing.
type Page struct {
	Instances []*Status
	// Continuation fetches the next page; empty when this is the last.
	Continuation string
	// Unserved counts the cluster partitions no member served while the page was
	// read: their instances are missing from it. Always 0 on a runtime of its own.
	Unserved int
}

// List returns the instances matching q, in instance id order or newest first. A
// continuation token that no listing in q's order handed out fails with
// ErrInvalidInput.
func (c *Client) List(ctx context.Context, q Query) (*Page, error) {
	h, err := c.rt.started()
	if err != nil {
		return nil, err
	}
	rows, next, err := h.List(ctx, persistence.Query{
		Statuses: q.Statuses, Name: q.Name, IDPrefix: q.IDPrefix, CreatedFrom: q.CreatedFrom,
		CreatedTo: q.CreatedTo, PageSize: q.PageSize, Continuation: q.Continuation, WithPayloads: q.WithInput,
		NewestFirst: q.NewestFirst,
	})
	if err != nil {
		return nil, err
	}
	p := &Page{Continuation: next, Unserved: h.Unserved()}
	for _, r := range rows {
		p.Instances = append(p.Instances, statusOf(r, nil))
	}
	return p, nil
}

// PurgeWhere deletes the finished instances created in [from, to) whose status is in
// statuses (all finished statuses when empty) and returns how many it deleted.
func (c *Client) PurgeWhere(ctx context.Context, from, to time.Time, statuses ...RuntimeStatus) (int, error) {
	return c.PurgeMatching(ctx, Query{Statuses: statuses, CreatedFrom: from, CreatedTo: to})
}

// PurgeMatching deletes the finished instances q selects, with all finished statuses
// when it names none, and returns how many it deleted. Its paging and payload fields
// are ignored.
func (c *Client) PurgeMatching(ctx context.Context, q Query) (int, error) {
	if len(q.Statuses) == 0 {
		q.Statuses = []RuntimeStatus{StatusCompleted, StatusFailed, StatusTerminated, StatusCanceled}
	}
	for _, s := range q.Statuses {
		if !s.IsTerminal() {
			return 0, fmt.Errorf("%w: only finished instances can be purged, not %s", ErrInvalidInput, s)
		}
	}
	n := 0
	q = Query{Statuses: q.Statuses, Name: q.Name, IDPrefix: q.IDPrefix, CreatedFrom: q.CreatedFrom, CreatedTo: q.CreatedTo, PageSize: 500}
	for {
		page, err := c.List(ctx, q)
		if err != nil {
			return n, err
		}
		for _, st := range page.Instances {
			if err := c.Purge(ctx, st.InstanceID); err == nil {
				n++
			}
		}
		if page.Continuation == "" {
			return n, nil
		}
		q.Continuation = page.Continuation
	}
}

func encode(what string, v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		if len(raw) > 0 && !json.Valid(raw) {
			return nil, fmt.Errorf("%w: %s is not valid JSON", ErrInvalidInput, what)
		}
		return raw, nil
	}
	b, err := jsonpayload.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: encode %s: %v", ErrInvalidInput, what, err)
	}
	return b, nil
}
