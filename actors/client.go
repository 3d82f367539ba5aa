package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/validate"
	"github.com/godurable/durable/persistence"
)

// Errors the client operations return; callers branch on them with errors.Is.
var (
	ErrInstanceNotFound     = errors.New("instance not found")
	ErrInstanceExists       = errors.New("instance already exists and is not finished")
	ErrInstanceFinished     = errors.New("instance has finished")
	ErrWrongState           = errors.New("operation not allowed in the instance's current state")
	ErrInvalidInput         = errors.New("invalid input")
	ErrUnknownOrchestration = errors.New("unknown orchestration")
	ErrPayloadTooLarge      = errors.New("payload too large")
	// ErrUnavailable: the request was not recorded because the runtime cannot write
	// for now (its disk is full); nothing changed, and it may be tried again later.
	ErrUnavailable = errors.New("temporarily unavailable")
)

// StartOptions configures Start.
type StartOptions struct {
	InstanceID string // default: a new random id
	// Version is the orchestrator version the instance runs, when VersionSet; else
	// the name's default version.
	Version    string
	VersionSet bool
	// StartAt schedules the start: the instance is Pending until then.
	StartAt time.Time
}

// Start starts the orchestrator registered as name with input (JSON) and returns the
// instance id once the start is durable.
func (h *Host) Start(ctx context.Context, name string, input []byte, opts StartOptions) (string, error) {
	if err := validate.Version(opts.Version); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	version, err := h.cfg.Registry.StartVersion(name, opts.Version, opts.VersionSet)
	if err != nil {
		return "", err
	}
	id := opts.InstanceID
	if id == "" {
		id = wire.NewID()
	} else if err := validate.InstanceID(id); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	if err := h.checkPayload("input", input); err != nil {
		return "", err
	}
	return id, h.call(ctx, id, &wire.Start{Name: name, Input: input, ExecutionID: wire.NewID(), Version: version,
		Trace: h.env.Tel.Create(ctx, "", name, id), StartAt: opts.StartAt})
}

func (h *Host) checkPayload(what string, b []byte) error {
	if len(b) > h.cfg.MaxPayloadBytes {
		return fmt.Errorf("%w: %s is %d bytes, over the %d-byte limit", ErrPayloadTooLarge, what, len(b), h.cfg.MaxPayloadBytes)
	}
	return nil
}

// RaiseEvent delivers an external event to a running instance.
func (h *Host) RaiseEvent(ctx context.Context, id, name string, data []byte) error {
	if err := validate.Name("event name", name); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	if err := h.checkPayload("event data", data); err != nil {
		return err
	}
	return h.call(ctx, id, &wire.Raise{Name: name, Input: data})
}

// Terminate ends a running instance with reason as its output; recursive also ends
// its sub-orchestrations.
func (h *Host) Terminate(ctx context.Context, id string, reason []byte, recursive bool) error {
	return h.call(ctx, id, &wire.Control{Op: wire.OpTerminate, Reason: reason, Recursive: recursive})
}

// Suspend pauses a running instance; events that arrive meanwhile wait for Resume.
func (h *Host) Suspend(ctx context.Context, id string, reason []byte) error {
	return h.call(ctx, id, &wire.Control{Op: wire.OpSuspend, Reason: reason})
}

// Resume continues a suspended instance.
func (h *Host) Resume(ctx context.Context, id string, reason []byte) error {
	return h.call(ctx, id, &wire.Control{Op: wire.OpResume, Reason: reason})
}

// Rewind re-runs the failed work of a failed instance.
func (h *Host) Rewind(ctx context.Context, id string, reason []byte) error {
	return h.call(ctx, id, &wire.Control{Op: wire.OpRewind, Reason: reason})
}

// Purge deletes a finished instance and its history.
func (h *Host) Purge(ctx context.Context, id string) error {
	return h.call(ctx, id, &wire.Control{Op: wire.OpPurge})
}

// Get returns an instance's status row; withHistory adds its current history. In a
// cluster the member serving the instance reads it.
func (h *Host) Get(ctx context.Context, id string, withHistory bool) (*persistence.Instance, []history.Event, error) {
	if err := validate.InstanceID(id); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	return h.readRow(ctx, id, withHistory)
}

// readRow reads an orchestration's or entity's row, here or at the member serving it.
func (h *Host) readRow(ctx context.Context, id string, withHistory bool) (*persistence.Instance, []history.Event, error) {
	if h.env.Member.Serves(id) {
		return h.readLocal(ctx, id, withHistory)
	}
	res, err := h.askReader(ctx, id, &wire.Read{ID: id, History: withHistory, Payloads: true}, h.cfg.RequestTimeout)
	if err != nil {
		return nil, nil, err
	}
	return res.Row, res.History, nil
}

func (h *Host) readLocal(ctx context.Context, id string, withHistory bool) (*persistence.Instance, []history.Event, error) {
	var (
		row  *persistence.Instance
		hist []history.Event
		err  error
	)
	if withHistory {
		row, hist, err = h.env.Journal.Load(ctx, id)
	} else {
		row, err = h.env.Journal.Get(ctx, id, true)
	}
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w: %q", ErrInstanceNotFound, id)
	}
	return row, hist, err
}

// Unserved returns how many partitions no member serves now: a listing misses their
// instances until they are back (0 on a member of its own).
func (h *Host) Unserved() int { return h.env.Member.Unserved() }

// List returns instances matching q and the continuation token of the next page.
func (h *Host) List(ctx context.Context, q persistence.Query) ([]*persistence.Instance, string, error) {
	return h.list(ctx, q)
}

// Wait blocks until the instance reaches until (checked after every committed
// change), ctx ends, or the instance turns out not to exist. In a cluster the member
// serving the instance waits on it, in slices, so the wait follows the instance when
// its partition moves.
func (h *Host) Wait(ctx context.Context, id string, until Until) (*persistence.Instance, error) {
	if err := validate.InstanceID(id); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	for {
		if h.env.Member.Serves(id) {
			row, err := h.waitLocal(ctx, id, until)
			if errors.Is(err, errMoved) {
				continue // served elsewhere now: wait there
			}
			return row, err
		}
		slice := remoteWaitSlice
		if d, ok := ctx.Deadline(); ok {
			slice = min(slice, time.Until(d))
		}
		res, err := h.askReader(ctx, id, &wire.WaitFor{ID: id, Until: uint8(until), MaxWait: slice}, slice+h.cfg.RequestTimeout)
		switch {
		case err != nil && !errors.Is(err, ErrInstanceNotFound):
			return nil, err
		case err == nil && res.Row != nil && until.reached(res.Row):
			return res.Row, nil
		case ctx.Err() != nil:
			if res != nil {
				return res.Row, ctx.Err()
			}
			return nil, ctx.Err()
		}
		if err != nil { // not there yet: it may be started in a moment
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func (h *Host) waitLocal(ctx context.Context, id string, until Until) (*persistence.Instance, error) {
	done := until.reached
	changed, cancel, row, known := h.env.Watchers.Watch(id)
	defer cancel()
	if !known {
		// Payloads are read only when the instance is already done: otherwise the row
		// that wakes the waiter carries them.
		var err error
		row, err = h.env.Journal.Get(ctx, id, false)
		switch {
		case errors.Is(err, persistence.ErrNotFound):
			row = nil
		case err != nil:
			return nil, err
		case done(row):
			if row, err = h.env.Journal.Get(ctx, id, true); err != nil {
				return nil, err
			}
		}
	}
	moved := h.env.Member.Changed()
	for row == nil || !done(row) {
		select {
		case row = <-changed:
		case <-moved:
			if !h.env.Member.Serves(id) {
				return row, errMoved
			}
			moved = h.env.Member.Changed()
		case <-ctx.Done():
			return row, ctx.Err()
		}
	}
	return row, nil
}

// errMoved ends a wait whose instance is served by another member now.
var errMoved = errors.New("instance moved to another member")

// call asks the orchestration instance id to do msg; see callActor.
func (h *Host) call(ctx context.Context, id string, msg any) error {
	if err := validate.InstanceID(id); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	return h.callActor(ctx, id, msg)
}

// callActor asks the actor id to do msg and maps its reply to an error, retrying while
// the actor is moving (passivating, reloading).
func (h *Host) callActor(ctx context.Context, id string, msg any) error {
	giveUp := time.Now().Add(retryFor)
	for attempt := 0; ; attempt++ {
		moved := h.env.Member.Changed()
		r, err := h.env.AskCtx(ctx, id, msg)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, cluster.ErrTimeout):
			// Unknown outcome: a timeout to the caller, never an error that invites a
			// blind retry as if nothing had happened.
			return fmt.Errorf("instance %q: %w: %w", id, context.DeadlineExceeded, err)
		case errors.Is(err, cluster.ErrNoOwner):
			// No owner, or dead letters every time: nothing was taken; try later.
			return fmt.Errorf("instance %q: %w: %w", id, ErrUnavailable, err)
		case err != nil:
			return fmt.Errorf("instance %q: %w", id, err)
		case r.Code == wire.CodeRetry && time.Now().After(giveUp):
			return fmt.Errorf("instance %q: %w: %s", id, ErrUnavailable, r.Message)
		case r.Code != wire.CodeRetry:
			return replyError(r)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-moved: // ownership changed: the actor is likely served elsewhere now
		case <-time.After(min(time.Duration(attempt+1)*5*time.Millisecond, 100*time.Millisecond)):
		}
	}
}

// retryFor is how long a call retries an actor that answers "try again" (passivating,
// reloading, moving) before it reports the instance unavailable.
const retryFor = 2 * time.Second

func replyError(r *wire.Reply) error {
	var base error
	switch r.Code {
	case wire.CodeOK:
		return nil
	case wire.CodeNotFound:
		base = ErrInstanceNotFound
	case wire.CodeExists:
		base = ErrInstanceExists
	case wire.CodeFinished:
		base = ErrInstanceFinished
	case wire.CodeWrongState:
		base = ErrWrongState
	case wire.CodeInvalid:
		base = ErrInvalidInput
	case wire.CodeUnavailable:
		base = ErrUnavailable
	default:
		return errors.New(r.Message)
	}
	return fmt.Errorf("%w: %s", base, r.Message)
}
