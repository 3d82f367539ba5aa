package orchestrator

import (
	"fmt"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/validate"
)

// CallOption configures an activity or sub-orchestration call.
type CallOption func(*callOptions)

type callOptions struct {
	retry      *RetryPolicy
	instanceID string
	version    string
	versionSet bool
}

// WithRetry retries failed attempts under policy. Waits between attempts are durable
// timers, so a retry in progress survives a restart.
func WithRetry(policy RetryPolicy) CallOption {
	return func(o *callOptions) { p := policy; o.retry = &p }
}

// WithInstanceID sets the instance id of a sub-orchestration (default "{parentId}:{n}").
func WithInstanceID(id string) CallOption {
	return func(o *callOptions) { o.instanceID = id }
}

func collect(opts []CallOption) callOptions {
	var o callOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// CallActivity schedules the activity registered as name with input (any
// JSON-encodable value) and returns its eventual result as a T.
func CallActivity[T any](ctx *Context, name string, input any, opts ...CallOption) *Task[T] {
	return &Task[T]{t: ctx.e.callActivity(name, input, collect(opts))}
}

func (e *Execution) callActivity(name string, input any, o callOptions) *task {
	in, err := e.encode(input, func() string { return fmt.Sprintf("input of activity %q", name) })
	if err != nil {
		return e.failedTask(kindActivity, name, err)
	}
	attempt := func() *task {
		return e.schedule(kindActivity, history.Event{Type: history.EventTaskScheduled, Name: name, Input: in})
	}
	if o.retry == nil {
		return attempt()
	}
	return e.withRetry(kindActivity, name, *o.retry, attempt)
}

// CallSubOrchestrator starts the orchestrator registered as name as a child instance
// and returns its eventual output as a T. The child's id is "{parentId}:{n}" unless
// WithInstanceID sets it; its version is the parent's when the child has code for it,
// else the child's default, unless WithVersion sets it.
func CallSubOrchestrator[T any](ctx *Context, name string, input any, opts ...CallOption) *Task[T] {
	return &Task[T]{t: ctx.e.callSubOrchestrator(name, input, collect(opts))}
}

func (e *Execution) callSubOrchestrator(name string, input any, o callOptions) *task {
	if err := e.lock.checkSubOrchestration(); err != nil {
		return e.failedTask(kindSubOrchestration, name, err)
	}
	in, err := e.encode(input, func() string { return fmt.Sprintf("input of sub-orchestration %q", name) })
	if err != nil {
		return e.failedTask(kindSubOrchestration, name, err)
	}
	if o.instanceID != "" {
		if err := validate.InstanceID(o.instanceID); err != nil {
			return e.failedTask(kindSubOrchestration, name, err)
		}
	}
	version := e.childVersion(name, o)
	if err := validate.Version(version); err != nil {
		return e.failedTask(kindSubOrchestration, name, err)
	}
	attempt := func() *task {
		id := o.instanceID
		if id == "" {
			id = fmt.Sprintf("%s:%d", e.instanceID, e.nextSeq)
		}
		return e.schedule(kindSubOrchestration, history.Event{
			Type: history.EventSubOrchestrationCreated, Name: name, InstanceID: id, Input: in, Version: version,
		})
	}
	if o.retry == nil {
		return attempt()
	}
	return e.withRetry(kindSubOrchestration, name, *o.retry, attempt)
}
