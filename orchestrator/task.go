package orchestrator

import (
	"fmt"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/jsonpayload"
)

type taskKind uint8

const (
	kindActivity taskKind = iota + 1
	kindTimer
	kindSubOrchestration
	kindEvent
	kindComposite
	kindEntity
)

// task is the untyped state of anything an orchestration can await. Tasks are created
// and completed only on the orchestration's own coroutine or by the engine between
// resumptions, so they need no locking.
type task struct {
	e      *Execution
	id     int64 // sequence id of the scheduling action; -1 when none
	kind   taskKind
	name   string
	sched  history.Event // the scheduling event, for re-dispatch after an activation
	done   bool
	result []byte
	err    error
	// onDone hooks let combinators and retries react without polling every task.
	onDone []func(*task)
}

func (t *task) complete(result []byte, err error) {
	if t.done {
		return
	}
	t.done, t.result, t.err = true, result, err
	hooks := t.onDone
	t.onDone = nil
	for _, h := range hooks {
		h(t)
	}
}

func (t *task) whenDone(h func(*task)) {
	if t.done {
		h(t)
		return
	}
	t.onDone = append(t.onDone, h)
}

// Awaitable is anything WhenAll and WhenAny accept: a *Task[T] or a *Timer.
type Awaitable interface {
	base() *task
}

// Task is the eventual result of an activity, sub-orchestration, external event or
// entity call. Await blocks the orchestration (not a goroutine of yours) until it is done.
type Task[T any] struct{ t *task }

func (t *Task[T]) base() *task { return t.t }

// Await waits for the task and returns its result decoded into T, or its error:
// a *TaskFailedError when the work failed, ErrTimedOut when an event wait timed out.
func (t *Task[T]) Await() (T, error) {
	var v T
	t.t.e.await(t.t)
	if t.t.err != nil {
		return v, t.t.err
	}
	if len(t.t.result) == 0 {
		return v, nil
	}
	if err := jsonpayload.Unmarshal(t.t.result, &v); err != nil {
		return v, fmt.Errorf("decode result of %q into %T: %w", t.t.name, v, err)
	}
	return v, nil
}

// Done reports whether the task has finished, without waiting.
func (t *Task[T]) Done() bool { return t.t.done }

// WhenAll waits until every task is done and returns nil, or returns the first error as
// soon as any task fails (the others keep running). Results stay on each task's Await.
func WhenAll(ctx *Context, tasks ...Awaitable) error {
	all := ctx.e.newTask(kindComposite, "WhenAll")
	remaining := len(tasks)
	if remaining == 0 {
		return nil
	}
	for _, a := range tasks {
		a.base().whenDone(func(t *task) {
			remaining--
			if t.err != nil {
				all.complete(nil, t.err)
			} else if remaining == 0 {
				all.complete(nil, nil)
			}
		})
	}
	ctx.e.await(all)
	return all.err
}

// WhenAny waits until the first of tasks is done and returns it; the others keep
// running (cancel timers you no longer need). Compare the result with your tasks to
// see which won.
func WhenAny(ctx *Context, tasks ...Awaitable) Awaitable {
	if len(tasks) == 0 {
		panic("orchestrator.WhenAny needs at least one task")
	}
	anyDone := ctx.e.newTask(kindComposite, "WhenAny")
	var winner Awaitable
	for _, a := range tasks {
		a.base().whenDone(func(*task) {
			if winner == nil {
				winner = a
				anyDone.complete(nil, nil)
			}
		})
	}
	ctx.e.await(anyDone)
	return winner
}
