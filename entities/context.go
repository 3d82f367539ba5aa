package entities

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/godurable/durable/internal/jsonpayload"
	"github.com/godurable/durable/internal/validate"
)

// Log attribute keys of the Context's logger, shared with the runtime's entity logs.
const (
	logKeyEntity    = "entity"
	logKeyOperation = "operation"
)

// Context is one operation's view of its entity: its identity, the operation and its
// input, the state, the result, and the messages the operation sends. It is only
// valid during the call it was passed to; Apply reuses it for the next operation.
type Context struct {
	id  ID
	now time.Time
	st  state

	op      *Operation
	output  []byte
	signals []Signal
	starts  []Start
	logger  *slog.Logger
}

// ID returns the entity's identity.
func (c *Context) ID() ID { return c.id }

// Operation returns the operation's name as the sender spelled it.
func (c *Context) Operation() string { return c.op.Name }

// Now returns the time of the batch, the same for every operation in it. Use it
// rather than time.Now so that what an operation decides is consistent within the batch.
func (c *Context) Now() time.Time { return c.now }

// Logger returns slog.Default() with the entity and operation as attributes.
func (c *Context) Logger() *slog.Logger {
	if c.logger == nil {
		c.logger = slog.Default().With(logKeyEntity, c.id.String(), logKeyOperation, c.op.Name)
	}
	return c.logger
}

// Input decodes the operation's JSON input into v. An operation sent without input
// leaves v unchanged and returns nil, so v can be preset to a default.
func (c *Context) Input(v any) error {
	if len(c.op.Input) == 0 {
		return nil
	}
	if err := jsonpayload.Unmarshal(c.op.Input, v); err != nil {
		return &DecodeError{Entity: c.id, Operation: c.op.Name, Into: typeName(v), Err: err}
	}
	return nil
}

// HasState reports whether the entity has state: it has been set and not deleted.
func (c *Context) HasState() bool { return c.st.exists() }

// GetState decodes the state into v. It leaves v unchanged when the entity has no
// state, so v can be preset to the initial state.
func (c *Context) GetState(v any) error {
	raw, err := c.st.json()
	if err != nil {
		return c.errorf("encode state: %w", err)
	}
	if raw == nil {
		return nil
	}
	if err := jsonpayload.Unmarshal(raw, v); err != nil {
		return &DecodeError{Entity: c.id, Operation: c.op.Name, State: true, Into: typeName(v), Err: err}
	}
	return nil
}

// SetState replaces the state with v's JSON encoding. If the operation fails, the
// state goes back to what it was before the operation.
func (c *Context) SetState(v any) error {
	b, err := jsonpayload.Marshal(v)
	if err != nil {
		return c.errorf("encode state: %w", err)
	}
	c.st.set(b)
	return nil
}

// DeleteState removes the state; the entity ceases to exist unless a later operation
// sets it again.
func (c *Context) DeleteState() { c.st.set(nil) }

// Return sets the operation's result to v's JSON encoding (nil: no result). A later
// call replaces an earlier one.
func (c *Context) Return(v any) error {
	b, err := c.encode("result", v)
	if err != nil {
		return err
	}
	c.output = b
	return nil
}

// SignalOption configures SignalEntity.
type SignalOption func(*Signal)

// SignalAt delivers the signal no earlier than t. The zero time delivers it at once.
func SignalAt(t time.Time) SignalOption { return func(s *Signal) { s.At = t } }

// SignalEntity sends operation with input (JSON-encodable; nil for none) to the
// entity target, one way: the operation gets no answer. The signal leaves only if this
// operation succeeds, after the batch is committed, and arrives exactly once and after
// any earlier signal this entity sent to the same target.
func (c *Context) SignalEntity(target ID, operation string, input any, opts ...SignalOption) error {
	if err := target.Validate(); err != nil {
		return c.errorf("signal: %w", err)
	}
	if operation == "" {
		return c.errorf("signal %s: operation name is empty", target)
	}
	in, err := c.encode(fmt.Sprintf("input of signal %s %s", target, operation), input)
	if err != nil {
		return err
	}
	s := Signal{Target: target, Operation: operation, Input: in}
	for _, o := range opts {
		o(&s)
	}
	c.signals = append(c.signals, s)
	return nil
}

// StartOption configures StartOrchestration.
type StartOption func(*Start)

// WithInstanceID gives the orchestration started by StartOrchestration its instance
// id, instead of a generated one. Starting an id that already exists does nothing, so
// a fixed id makes the start idempotent. An empty id means "generate one".
func WithInstanceID(id string) StartOption { return func(s *Start) { s.InstanceID = id } }

// StartOrchestration starts the orchestration name with input (JSON-encodable; nil for
// none) and returns its instance id. It starts only if this operation succeeds, after
// the batch is committed; the entity does not wait for it or hear of its outcome.
func (c *Context) StartOrchestration(name string, input any, opts ...StartOption) (string, error) {
	if name == "" {
		return "", c.errorf("start orchestration: name is empty")
	}
	in, err := c.encode(fmt.Sprintf("input of orchestration %s", name), input)
	if err != nil {
		return "", err
	}
	s := Start{Name: name, Input: in}
	for _, o := range opts {
		o(&s)
	}
	if s.InstanceID == "" {
		s.InstanceID = newInstanceID()
	} else if err := validate.InstanceID(s.InstanceID); err != nil {
		return "", c.errorf("start orchestration %s: %w", name, err)
	}
	c.starts = append(c.starts, s)
	return s.InstanceID, nil
}

// encode marshals a payload the operation produces. A json.RawMessage is taken as
// already encoded, but checked and copied: the caller may reuse its buffer.
func (c *Context) encode(what string, v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		if raw == nil {
			return nil, nil
		}
		if !json.Valid(raw) {
			return nil, c.errorf("encode %s: not valid JSON", what)
		}
		return append([]byte(nil), raw...), nil
	}
	b, err := jsonpayload.Marshal(v)
	if err != nil {
		return nil, c.errorf("encode %s: %w", what, err)
	}
	return b, nil
}

// errorf returns an error whose message names the entity and the operation. A %w
// argument stays reachable for errors.Is and errors.As, and its type is the one the
// operation's failure records.
func (c *Context) errorf(format string, args ...any) error {
	return fmt.Errorf("entity %s operation %s: "+format, append([]any{c.id, c.op.Name}, args...)...)
}

// reset prepares the Context for the next operation.
func (c *Context) reset(op *Operation) {
	c.op, c.output, c.signals, c.starts, c.logger = op, nil, nil, nil, nil
}

// newInstanceID returns 32 random hex digits, the same form as the runtime's ids.
func newInstanceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return fmt.Sprint(t)
}
