package entities

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/godurable/durable/history"
)

// Func is an entity: it runs one operation against the entity's state through ctx.
// Returning an error fails the operation, which undoes its state changes and the
// messages it sent. An operation the entity does not know should return
// *UnknownOperationError. Write one with a switch on ctx.Operation(), or get one from
// Typed.
type Func func(ctx *Context) error

// Operation is one operation sent to an entity.
type Operation struct {
	// Name is the operation name. Function entities see it as the sender spelled it;
	// Typed entities match it to their methods case-insensitively.
	Name string
	// Input is the operation's JSON input, nil when it has none.
	Input []byte
}

// Signal is a one-way message to another entity, sent by an operation. The runtime
// sends it after the batch that produced it is committed.
type Signal struct {
	Target    ID
	Operation string
	Input     []byte
	// At is when to deliver the signal; the zero time delivers it now.
	At time.Time
}

// Start is an orchestration an operation started. The runtime starts it after the
// batch that produced it is committed.
type Start struct {
	Name string
	// InstanceID is never empty: StartOrchestration generates one when the operation
	// gave none, so the operation can know (and return) the id before the start happens.
	InstanceID string
	Input      []byte
}

// Result is the outcome of one operation.
type Result struct {
	// Output is the JSON the operation gave to Return, nil when none.
	Output []byte
	// Failure is set when the operation failed; its state changes and effects were
	// rolled back, and Output, Signals and Starts are empty.
	Failure *history.Failure
	// Signals and Starts are the effects of a successful operation, in call order.
	Signals []Signal
	Starts  []Start
}

// Apply runs ops one at a time, in order, against state (JSON; nil means the entity has
// no state) and returns the state after the batch (nil: no state, the entity is deleted)
// and one Result per operation.
//
// Each operation sees the state the previous one left. A failing operation (it
// returned an error or panicked, is unknown, or its input or the state does not decode)
// leaves the state exactly as it was before the operation and has no effects; later
// operations still run. The operation "delete", in any case, deletes the state when the
// entity does not handle it itself (fn returns *UnknownOperationError for it). A nil fn
// knows no operation.
//
// Apply never panics: a panicking operation fails, with the stack in its Failure (only
// fatal runtime errors, such as a stack overflow, still end the process). Everything it returns is newly allocated and owned by the caller,
// except newState when the batch left the state unchanged: then it may be the state
// slice that was passed in. Apply keeps no reference to its arguments.
func Apply(id ID, fn Func, state []byte, ops []Operation, now time.Time) (newState []byte, results []Result) {
	return ApplyLive(nil, id, fn, state, ops, now)
}

// Live carries an entity's decoded state from one batch to the next, so that a batch
// need not decode the JSON the batch before it produced: for a hot entity of a Typed
// struct, decoding was the largest cost of a batch. Only states that JSON gives back
// exactly are carried (Typed structs of numbers, booleans and arrays of them, all
// fields exported, no custom decoding): any other would behave differently after a
// reload than while it stayed in memory. Keep one per entity and use it from one
// goroutine at a time; the zero Live holds nothing.
type Live struct {
	value liveValue
	state []byte // the JSON that value stands for
}

// ApplyLive is Apply for a caller that keeps l for the entity. When state is the very
// slice the previous ApplyLive with l returned, the value decoded for that batch is used
// again; any other state (after a reload, say) is decoded as Apply would. A nil l is
// Apply. l must not be shared by several entities.
func ApplyLive(l *Live, id ID, fn Func, state []byte, ops []Operation, now time.Time) (newState []byte, results []Result) {
	if len(state) == 0 {
		state = nil
	}
	c := &Context{id: id, now: now}
	c.st.raw = state
	if l != nil && l.value != nil && sameSlice(l.state, state) {
		c.st.live = l.value
	}
	results = make([]Result, len(ops))
	for i := range ops {
		results[i] = c.apply(fn, &ops[i])
	}
	newState, current := c.finish()
	if l != nil {
		*l = Live{}
		if current && c.st.live != nil && c.st.live.lasting() && newState != nil {
			*l = Live{value: c.st.live, state: newState}
		}
	}
	return newState, results
}

// sameSlice reports whether a and b are the same non-empty bytes in memory, not merely
// equal ones: only then is a value known to stand for b without comparing.
func sameSlice(a, b []byte) bool {
	return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0]
}

// apply runs one operation and rolls it back if it fails.
func (c *Context) apply(fn Func, op *Operation) Result {
	c.reset(op)
	before := c.st
	if before.live != nil {
		before.live.save()
	}
	err := c.call(fn)
	if err != nil && builtInDelete(op, err) {
		c.st.set(nil)
		err = nil
	}
	if err != nil {
		c.st = before
		if before.live != nil && !before.live.restore() {
			c.st.live, c.st.dirty = nil, false
		}
		return Result{Failure: failureOf(c.id, op.Name, err)}
	}
	return Result{Output: c.output, Signals: c.signals, Starts: c.starts}
}

// builtInDelete reports whether the failure of op is a "delete" the entity left to
// Apply. It is a function of its own so that the errors.As target is allocated only
// for failed operations.
func builtInDelete(op *Operation, err error) bool {
	var unknown *UnknownOperationError
	return strings.EqualFold(op.Name, "delete") && errors.As(err, &unknown)
}

// call runs fn, turning a panic into an error that carries the stack.
func (c *Context) call(fn Func) (err error) {
	if fn == nil {
		return &UnknownOperationError{Entity: c.id, Operation: c.op.Name}
	}
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: string(debug.Stack())}
		}
	}()
	return fn(c)
}

// finish returns the state's JSON after the last operation, and whether the live value,
// if any, stands for it.
func (c *Context) finish() (state []byte, liveCurrent bool) {
	if c.st.live == nil || !c.st.dirty {
		return c.st.raw, true
	}
	b, err := c.st.live.encode()
	if err != nil {
		// Live values are only left dirty when their encoding cannot fail (see
		// flatType); should it fail anyway, keep the last encoding rather than lose
		// the entity.
		slog.Default().Error("cannot encode entity state; keeping the last encoded state",
			logKeyEntity, c.id.String(), "error", fmt.Sprint(err))
		return c.st.raw, false
	}
	return b, true
}
