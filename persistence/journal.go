package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godurable/durable/history"
)

// Journal stores, for every instance (an orchestration or an entity), an append-only
// event stream, an index row that queries read, and the durable timers and outbound
// messages that must survive a restart.
//
// Contract, for every implementation:
//   - Append is atomic: everything in a Batch becomes visible and durable together, or
//     nothing does. It is fenced: it applies only if the instance's version still equals
//     Batch.ExpectedVersion, so two activations of one instance can never both commit.
//   - Appends for one instance are applied in the order Append was called.
//   - done is called exactly once per Append, after the batch is durable (nil) or has been
//     rejected (an error; ErrVersionConflict when fenced out). It runs on the journal's
//     commit goroutine: it must return quickly and must not call the journal. The error
//     names the instance: errors.As finds an *AppendError, or for a corrupt stored row a
//     *CorruptionError, that carries its id, and errors.Is still finds the cause.
//   - A failed write or sync of the journal's storage stops the journal: what it holds in
//     memory may then disagree with what is durable, so every later append and read fails
//     with ErrJournalFailed until it is closed and opened again, which recovers what was
//     durable. A batch whose commit failed so is not acknowledged, yet may be recovered,
//     whole, as the disk may have taken it before it failed.
//   - Concurrent appends for different instances may be committed together, sharing one
//     disk sync (group commit); a conflict fails only the batch that caused it.
//   - The journal owns nothing it is handed after done has run, and callers own every
//     slice and struct a read method returns.
//   - Stored values carry a checksum; a value that fails it is reported as a
//     *CorruptionError naming the instance, and other instances stay readable.
//
// Implementations are safe for concurrent use.
type Journal interface {
	// Append submits a batch of changes to one instance. See the type's contract.
	Append(b *Batch, done func(error))

	// Load returns an instance's index row (with input and output) and the history of
	// its current execution, oldest first. It returns ErrNotFound when the instance
	// does not exist.
	Load(ctx context.Context, instanceID string) (*Instance, []history.Event, error)

	// History returns the events of an instance's current execution from sequence
	// number fromSeq on (0 is the first event), oldest first; nil when fromSeq is at or
	// past the end. It returns ErrNotFound when the instance does not exist.
	History(ctx context.Context, instanceID string, fromSeq int) ([]history.Event, error)

	// Get returns an instance's index row; input and output are filled only when
	// withPayloads is true. It returns ErrNotFound when the instance does not exist.
	Get(ctx context.Context, instanceID string, withPayloads bool) (*Instance, error)

	// List returns instances matching q in ascending instance id order, or newest
	// first when q.NewestFirst is set, at most q.PageSize of them, and the
	// continuation token for the next page ("" when done). A query that q.Validate
	// refuses fails with an error wrapping ErrInvalidQuery.
	List(ctx context.Context, q Query) ([]*Instance, string, error)

	// Timers returns armed timers due at or before until, earliest first, at most limit
	// of them (limit <= 0: no limit).
	Timers(ctx context.Context, until time.Time, limit int) ([]Timer, error)

	// Recoverable calls fn with the id of every instance whose last batch set
	// Recover, in id order, until fn returns an error, which it then returns.
	Recoverable(ctx context.Context, fn func(instanceID string) error) error

	// Outbox calls fn with every undelivered outbound message, grouped by sender in
	// sender id order and by ascending message id within a sender.
	Outbox(ctx context.Context, fn func(Message) error) error

	// Close waits for submitted appends to finish, then releases the journal. Appends
	// submitted after Close fail with ErrClosed.
	Close() error
}

// Batch is one atomic, fenced change to one instance: normally everything one turn of
// its actor produced.
type Batch struct {
	InstanceID string
	// ExpectedVersion is the version the caller last saw: Instance.Version from Load or
	// Get, or 0 for an instance that does not exist yet. On success the version becomes
	// ExpectedVersion+1.
	ExpectedVersion uint64

	// Delete removes every trace of the instance (row, payloads, history, timers,
	// recovery mark, outbox). Everything else in the batch is ignored.
	Delete bool

	// Instance, when set, replaces the index row. The journal sets its Version and
	// HistoryLen; Input and Output in it are ignored (use SetInput and SetOutput).
	Instance *Instance
	// SetInput and SetOutput, when non-nil, replace the stored payloads.
	SetInput, SetOutput []byte
	// ResetHistory drops the current history before Events are appended (a new
	// execution after ContinueAsNew or a restart with the same id).
	ResetHistory bool
	// Events are appended to the history, in order.
	Events []history.Event

	// ArmTimers are stored until fired; CancelTimers are removed (matched by
	// InstanceID, ID and FireAt; absent ones are ignored).
	ArmTimers, CancelTimers []Timer

	// Recover, when non-nil, sets (true) or clears (false) the mark that tells the
	// runtime to activate the instance after a restart because work was in flight.
	Recover *bool

	// Send stores outbound messages until delivered; Delivered removes the sender's
	// messages with these ids.
	Send      []Message
	Delivered []int64
}

// Instance is the index row of an instance: what a status query and a listing show.
type Instance struct {
	ID          string
	Name        string
	ExecutionID string
	Status      history.RuntimeStatus
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// CustomStatus is JSON set by the orchestrator, at most a few KiB.
	CustomStatus []byte
	Failure      *history.Failure
	Parent       *history.ParentRef
	// OrchestrationVersion is the version of the orchestrator the instance runs (its
	// ExecutionStarted's); once it continued as new, the version its next execution
	// runs. Empty for the unversioned code and for entities.
	OrchestrationVersion string
	// Input and Output are JSON; filled by Load, and by Get and List on request.
	Input, Output []byte

	// Version counts committed batches; it fences appends.
	Version uint64
	// HistoryLen is the number of events in the current execution's history.
	HistoryLen int
}

// Timer is a durable timer: at FireAt the runtime delivers a TimerFired event with
// TaskID ID to the execution ExecutionID of InstanceID.
type Timer struct {
	InstanceID  string
	ExecutionID string
	ID          int64
	FireAt      time.Time
	// Payload is opaque to the journal (scheduled entity signals keep their message here).
	Payload []byte
}

// Message is an outbound message stored with the batch that produced it and kept until
// the receiver acknowledged it, so a crash in between re-sends rather than loses it.
type Message struct {
	From string
	// ID is unique per sender and ascending in send order; receivers de-duplicate on
	// (From, ID).
	ID      int64
	To      string
	Payload []byte
}

// Query selects instances for List. Zero fields do not filter.
type Query struct {
	// Entities selects entity rows (ids beginning with '@') instead of orchestrations:
	// a listing holds one kind or the other.
	Entities     bool
	Statuses     []history.RuntimeStatus
	Name         string
	IDPrefix     string
	CreatedFrom  time.Time // inclusive
	CreatedTo    time.Time // exclusive
	UpdatedFrom  time.Time // inclusive
	UpdatedTo    time.Time // exclusive
	PageSize     int       // <= 0: DefaultPageSize; at most MaxPageSize
	Continuation string
	WithPayloads bool
	// NewestFirst lists by creation time, newest first, and instances created at the
	// same instant in descending id order, instead of in id order. It lists
	// orchestrations only: a query for entities cannot ask for it.
	NewestFirst bool
}

// A page of a listing holds DefaultPageSize instances when its Query names no size,
// and never more than MaxPageSize, however many are asked for.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Limit returns how many instances one page of q holds at most.
func (q Query) Limit() int {
	if q.PageSize <= 0 {
		return DefaultPageSize
	}
	return min(q.PageSize, MaxPageSize)
}

// Errors the journal reports. Callers branch on them with errors.Is.
var (
	ErrNotFound        = errors.New("instance not found")
	ErrVersionConflict = errors.New("journal version conflict: another activation of the instance committed first")
	ErrClosed          = errors.New("journal closed")
	ErrBatchTooLarge   = errors.New("batch too large for one journal transaction")
	// ErrInvalidQuery: List was asked for something it cannot serve, such as a
	// continuation token that no listing in the query's order handed out.
	ErrInvalidQuery = errors.New("invalid listing query")
	// ErrFenced: the append comes from a member that no longer owns the instance's
	// partition (its lease lapsed, or a newer epoch took over); it must stop acting
	// for the instance.
	ErrFenced = errors.New("append fenced: this member does not own the instance's partition")
	// ErrUnavailable: the journal cannot take appends for now (its disk is full, say);
	// reads go on, and appends are accepted again once the cause is gone.
	ErrUnavailable = errors.New("journal temporarily unavailable for writes")
	// ErrJournalFailed: a write or sync of the journal's storage failed, and the journal
	// takes no appends and serves no reads until it is reopened. The errors that report it
	// wrap the failure too.
	// Unlike ErrUnavailable it does not pass by itself: after a failed sync the operating
	// system may have dropped the unwritten data and reported success for it afterwards
	// (PostgreSQL's "fsyncgate"), so nothing the process remembers can be trusted, and only
	// recovery from the disk can tell what is durable.
	ErrJournalFailed = errors.New("journal failed: a write to its storage failed; it must be reopened")
)

// AppendError is an error that an append reported to done, naming the instance of the
// batch. errors.Is and errors.As see through it to the cause.
type AppendError struct {
	InstanceID string
	Err        error
}

func (e *AppendError) Error() string {
	return fmt.Sprintf("append to instance %q: %v", e.InstanceID, e.Err)
}

func (e *AppendError) Unwrap() error { return e.Err }

// CorruptionError reports a stored value that failed its checksum or did not decode.
type CorruptionError struct {
	InstanceID string
	Key        string
	Err        error
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("journal entry %q of instance %q is corrupt: %v", e.Key, e.InstanceID, e.Err)
}

func (e *CorruptionError) Unwrap() error { return e.Err }

// AppendSync submits b and waits until it is durable or rejected, or ctx is done.
func AppendSync(ctx context.Context, j Journal, b *Batch) error {
	ch := make(chan error, 1)
	j.Append(b, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
