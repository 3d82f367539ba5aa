// Package activities runs activities on a bounded pool of stateless worker actors.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/godurable/durable/actors/internal/lifecycle"
	"github.com/godurable/durable/actors/internal/telemetry"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
)

// Func is an activity in its stored form: JSON input in, JSON output out.
type Func = func(ctx context.Context, input []byte) ([]byte, error)

// Task is one activity execution requested by an instance on this member.
type Task struct {
	ReplyTo     *actor.PID
	InstanceID  string
	ExecutionID string
	TaskID      int64
	Name        string
	Input       []byte
	// Trace is the instance's W3C traceparent, for the activity's span.
	Trace string
}

// Done is a worker's result for the instance that asked: it never leaves the process.
type Done struct {
	InstanceID  string
	ExecutionID string
	TaskID      int64
	Result      []byte
	Failure     *history.Failure
}

// Pool runs activities on a fixed set of stateless worker actors, which bounds
// how many run at once. Work goes to an idle worker directly, or waits in a queue that
// the next worker to finish drains, so a slow activity never holds up work queued
// behind it while other workers are free.
type Pool struct {
	system     *actor.ActorSystem
	lookup     func(name string) (Func, bool)
	base       context.Context
	log        *slog.Logger // handed to activities through their Info
	tel        *telemetry.T
	maxPayload int
	mu         sync.Mutex
	queue      []*Task
	idle       []*actor.PID
	// meanRun is the moving average of how long an activity runs, in nanoseconds.
	meanRun atomic.Int64
	workers []*actor.PID
	// dispatch gives each worker a goroutine that outlives its messages: with one
	// started per message, every activity grew a fresh stack again. It is the
	// workers' own, so activities that block never hold up instances.
	dispatch *lifecycle.Dispatcher
}

// NewPool starts n workers on system. Activities are found by lookup, run with a
// context derived from base, and fail when their result exceeds maxPayload bytes.
func NewPool(system *actor.ActorSystem, n int, lookup func(name string) (Func, bool), base context.Context, maxPayload int, log *slog.Logger,
	tel *telemetry.T) *Pool {
	p := &Pool{system: system, lookup: lookup, base: base, maxPayload: maxPayload, log: log, tel: tel, dispatch: lifecycle.NewDispatcher(1, n)}
	props := actor.PropsFromProducer(func() actor.Actor { return &worker{pool: p} }, actor.WithDispatcher(p.dispatch))
	root := system.Root
	for i := 0; i < n; i++ {
		pid := root.Spawn(props)
		p.workers = append(p.workers, pid)
		p.idle = append(p.idle, pid)
	}
	return p
}

// Submit runs t on an idle worker, or queues it for the next one to finish.
func (p *Pool) Submit(t *Task) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		p.system.Root.Send(w, t)
		return
	}
	p.queue = append(p.queue, t)
	p.mu.Unlock()
}

// take hands a finishing worker its next task, or marks it idle.
func (p *Pool) take(self *actor.PID) *Task {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		p.idle = append(p.idle, self)
		return nil
	}
	t := p.queue[0]
	p.queue[0] = nil
	p.queue = p.queue[1:]
	return t
}

// Busy reports whether a task submitted now would wait here longer than sending it to
// another member costs: the moment to run it there instead. The wait is estimated from
// how long activities ran lately, so a pool that has run none keeps its work. Every worker taken is not
// enough: short activities under load keep them so, and the queue they leave drains
// in less time than a round trip, so sending those away only adds work.
func (p *Pool) Busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) > 0 {
		return false
	}
	wait := time.Duration(len(p.queue)+1) * time.Duration(p.meanRun.Load()) / time.Duration(len(p.workers))
	return wait > offloadAfter
}

// offloadAfter is the wait in the queue beyond which an activity is better run on
// another member: some round trips between members.
const offloadAfter = 5 * time.Millisecond

// ran folds one activity's running time into the mean that Busy estimates waits
// from (a moving average: recent activities count most).
func (p *Pool) ran(d time.Duration) {
	for {
		old := p.meanRun.Load()
		mean := old + (int64(d)-old)/8
		if old == 0 {
			mean = int64(max(d, 1)) // the first: nothing else to go by
		}
		if p.meanRun.CompareAndSwap(old, mean) {
			return
		}
	}
}

// Stop stops the workers; activities running go on until they return.
func (p *Pool) Stop() {
	for _, w := range p.workers {
		p.system.Root.Stop(w)
	}
	p.dispatch.Stop()
}

type worker struct{ pool *Pool }

func (w *worker) Receive(ctx actor.Context) {
	t, ok := ctx.Message().(*Task)
	if !ok {
		return
	}
	for t != nil {
		began := time.Now()
		if done := w.pool.run(t); done != nil {
			w.pool.ran(time.Since(began))
			ctx.Send(t.ReplyTo, done)
		}
		t = w.pool.take(ctx.Self())
	}
}

// run calls the activity, turning panics, unknown names and oversized results into
// failures the orchestration can catch; nil for an activity abandoned.
func (p *Pool) run(t *Task) (done *Done) {
	done = &Done{InstanceID: t.InstanceID, ExecutionID: t.ExecutionID, TaskID: t.TaskID}
	fn, ok := p.lookup(t.Name)
	if !ok {
		done.Failure = &history.Failure{ErrorType: "UnknownActivity", Message: fmt.Sprintf("activity %q is not registered", t.Name), NonRetriable: true}
		return done
	}
	ctx := context.WithValue(p.base, infoKey{}, Info{InstanceID: t.InstanceID, ExecutionID: t.ExecutionID, TaskID: t.TaskID, Name: t.Name, Log: p.log})
	if p.tel != nil {
		var end func(*history.Failure)
		ctx, end = p.tel.Activity(ctx, t.Trace, t.Name, t.InstanceID, t.TaskID)
		defer func() { // after the recover below, which sets a panic's failure
			var f *history.Failure
			if done != nil {
				f = done.Failure
			}
			end(f)
		}()
	}
	defer func() {
		if r := recover(); r != nil {
			done.Result = nil
			done.Failure = &history.Failure{ErrorType: "panic", Message: fmt.Sprintf("activity %q panicked: %v", t.Name, r), Stack: string(debug.Stack())}
		}
	}()
	out, err := fn(ctx, t.Input)
	var failed *FailedError
	switch {
	case errors.Is(err, ErrAbandoned):
		return nil
	case errors.As(err, &failed):
		done.Failure = failed.Failure
	case err != nil:
		done.Failure = orchestrator.FailureOf(err)
	case len(out) > p.maxPayload:
		done.Failure = &history.Failure{ErrorType: "PayloadTooLarge", NonRetriable: true,
			Message: fmt.Sprintf("result of activity %q is %d bytes, over the %d-byte payload limit", t.Name, len(out), p.maxPayload)}
	default:
		done.Result = out
	}
	return done
}

// Info describes the activity execution a context belongs to.
type Info struct {
	InstanceID  string
	ExecutionID string
	TaskID      int64
	Name        string
	Log         *slog.Logger // the runtime's
}

// FailedError is an activity's failure as it should be recorded, word for word: one
// reported by code outside the process, which has its own error types and stacks.
type FailedError struct{ Failure *history.Failure }

func (e *FailedError) Error() string { return e.Failure.ErrorType + ": " + e.Failure.Message }

// ErrAbandoned: the activity has no outcome to record (the runtime is stopping while
// it waits on code outside the process). Its instance is not told; the activity runs
// again when the instance is next activated.
var ErrAbandoned = errors.New("activity abandoned: no outcome to record")

type infoKey struct{}

// InfoFrom returns the activity execution ctx was created for.
func InfoFrom(ctx context.Context) (Info, bool) {
	info, ok := ctx.Value(infoKey{}).(Info)
	return info, ok
}
