package actors

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
)

// activityTask is one activity execution requested by an instance on this member.
type activityTask struct {
	replyTo     *actor.PID
	instanceID  string
	executionID string
	taskID      int64
	name        string
	input       []byte
}

// activityPool runs activities on a fixed set of stateless worker actors, which bounds
// how many run at once. Work goes to an idle worker directly, or waits in a queue that
// the next worker to finish drains, so a slow activity never holds up work queued
// behind it while other workers are free.
type activityPool struct {
	h       *Host
	mu      sync.Mutex
	queue   []*activityTask
	idle    []*actor.PID
	workers []*actor.PID
	// dispatch gives each worker a goroutine that outlives its messages: with one
	// started per message, every activity grew a fresh stack again. It is the
	// workers' own, so activities that block never hold up instances.
	dispatch *pooledDispatcher
}

func newActivityPool(h *Host, n int) *activityPool {
	p := &activityPool{h: h, dispatch: newPooledDispatcher(1, n)}
	props := actor.PropsFromProducer(func() actor.Actor { return &activityWorker{pool: p} }, actor.WithDispatcher(p.dispatch))
	root := h.member.System.Root
	for i := 0; i < n; i++ {
		pid := root.Spawn(props)
		p.workers = append(p.workers, pid)
		p.idle = append(p.idle, pid)
	}
	return p
}

func (p *activityPool) submit(t *activityTask) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		p.h.member.System.Root.Send(w, t)
		return
	}
	p.queue = append(p.queue, t)
	p.mu.Unlock()
}

// take hands a finishing worker its next task, or marks it idle.
func (p *activityPool) take(self *actor.PID) *activityTask {
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

func (p *activityPool) stop() {
	for _, w := range p.workers {
		p.h.member.System.Root.Stop(w)
	}
	p.dispatch.stop()
}

type activityWorker struct{ pool *activityPool }

func (w *activityWorker) Receive(ctx actor.Context) {
	t, ok := ctx.Message().(*activityTask)
	if !ok {
		return
	}
	for t != nil {
		ctx.Send(t.replyTo, w.pool.h.runActivity(t))
		t = w.pool.take(ctx.Self())
	}
}

// runActivity calls the activity, turning panics, unknown names and oversized results
// into failures the orchestration can catch.
func (h *Host) runActivity(t *activityTask) (done *activityDone) {
	done = &activityDone{executionID: t.executionID, taskID: t.taskID}
	fn, ok := h.registry.Activity(t.name)
	if !ok {
		done.failure = &history.Failure{ErrorType: "UnknownActivity", Message: fmt.Sprintf("activity %q is not registered", t.name), NonRetriable: true}
		return done
	}
	defer func() {
		if r := recover(); r != nil {
			done.result = nil
			done.failure = &history.Failure{ErrorType: "panic", Message: fmt.Sprintf("activity %q panicked: %v", t.name, r), Stack: string(debug.Stack())}
		}
	}()
	ctx := context.WithValue(h.ctx, activityInfoKey{}, ActivityInfo{InstanceID: t.instanceID, TaskID: t.taskID, Name: t.name})
	out, err := fn(ctx, t.input)
	switch {
	case err != nil:
		done.failure = orchestrator.FailureOf(err)
	case len(out) > h.cfg.MaxPayloadBytes:
		done.failure = &history.Failure{ErrorType: "PayloadTooLarge", NonRetriable: true,
			Message: fmt.Sprintf("result of activity %q is %d bytes, over the %d-byte payload limit", t.name, len(out), h.cfg.MaxPayloadBytes)}
	default:
		done.result = out
	}
	return done
}

// ActivityInfo describes the activity execution a context belongs to.
type ActivityInfo struct {
	InstanceID string
	TaskID     int64
	Name       string
}

type activityInfoKey struct{}

// ActivityInfoFrom returns the activity execution ctx was created for.
func ActivityInfoFrom(ctx context.Context) (ActivityInfo, bool) {
	info, ok := ctx.Value(activityInfoKey{}).(ActivityInfo)
	return info, ok
}
