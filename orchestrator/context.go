package orchestrator

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/godurable/durable/internal/jsonpayload"
)

// Context is what orchestrator code may use instead of the outside world. Everything
// it returns is recorded in or derived from the history, so it is the same on every
// replay. It is not a context.Context on purpose: orchestrator code must not do I/O.
type Context struct {
	e      *Execution
	logger *slog.Logger
}

// InstanceID returns the id of the running instance.
func (c *Context) InstanceID() string { return c.e.instanceID }

// Name returns the registered name of the running orchestrator.
func (c *Context) Name() string { return c.e.name }

// ExecutionID identifies the current execution; ContinueAsNew starts a new one.
func (c *Context) ExecutionID() string { return c.e.executionID }

// Now returns the orchestration's current time: when the current turn started, as
// recorded in history. Use it instead of time.Now.
func (c *Context) Now() time.Time { return c.e.now }

// IsReplaying reports whether the code is re-running past turns from history. Side
// effects outside activities (logging, metrics) should happen only when it is false.
func (c *Context) IsReplaying() bool { return c.e.replaying }

// Logger returns a logger that drops records while the orchestration replays, so each
// line is written once however often the code re-runs.
func (c *Context) Logger() *slog.Logger { return c.logger }

// NewGUID returns a deterministic name-based UUID (version 5), unique per call within
// the instance and the same on every replay.
func (c *Context) NewGUID() string {
	name := fmt.Sprintf("%s_%s_%d", c.e.instanceID, c.e.now.UTC().Format(time.RFC3339Nano), c.e.guidCount)
	c.e.guidCount++
	return uuidV5(guidNamespace, name)
}

// SetCustomStatus publishes a JSON-encodable value that status queries return, for
// progress reporting. It is limited to MaxCustomStatusBytes.
func (c *Context) SetCustomStatus(v any) error {
	b, err := jsonpayload.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode custom status: %w", err)
	}
	if len(b) > MaxCustomStatusBytes {
		return fmt.Errorf("custom status is %d bytes, over the %d-byte limit", len(b), MaxCustomStatusBytes)
	}
	c.e.customStatus, c.e.customStatusChanged = b, true
	return nil
}

// ContinueAsNewOption configures ContinueAsNew.
type ContinueAsNewOption func(*continueAsNew)

// DiscardUnprocessedEvents drops external events the ending execution received but did
// not consume, instead of handing them to the next execution.
func DiscardUnprocessedEvents() ContinueAsNewOption {
	return func(c *continueAsNew) { c.keepUnprocessed = false }
}

// ContinueAsNew restarts the orchestration with a new input and an empty history once
// the orchestrator function returns (its return value is then ignored). Eternal
// orchestrations use it to keep their history bounded. The next execution runs the
// same version unless ContinueAtVersion or ContinueAtDefaultVersion says otherwise.
func (c *Context) ContinueAsNew(input any, opts ...ContinueAsNewOption) error {
	b, err := c.e.encode(input, func() string { return "continue-as-new input" })
	if err != nil {
		return err
	}
	can := &continueAsNew{input: b, keepUnprocessed: true, version: c.e.version}
	for _, o := range opts {
		o(can)
	}
	if err := c.e.nextVersion(can); err != nil {
		return err
	}
	c.e.continueAsNew = can
	return nil
}

// Input returns the orchestration's raw JSON input.
func (c *Context) Input() json.RawMessage { return c.e.input }
