package orchestrator

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/history"
)

// CallEntity runs operation on the entity id with input and returns its result as a T.
// Operations on one entity run one at a time; the call is delivered exactly once.
func CallEntity[T any](ctx *Context, id entities.ID, operation string, input any) *Task[T] {
	return &Task[T]{t: ctx.e.callEntity(id, operation, input)}
}

func (e *Execution) callEntity(id entities.ID, op string, input any) *task {
	name := id.String() + "." + op
	if err := id.Validate(); err != nil {
		return e.failedTask(kindEntity, name, err)
	}
	target := id.String()
	if err := e.lock.checkCall(target); err != nil {
		return e.failedTask(kindEntity, name, err)
	}
	in, err := e.encode(input, func() string { return "input of entity operation " + name })
	if err != nil {
		return e.failedTask(kindEntity, name, err)
	}
	t := e.schedule(kindEntity, history.Event{Type: history.EventEntityOperationCalled, InstanceID: target, Name: op, Input: in})
	if e.lock.held {
		e.lock.calling[target] = true
		t.whenDone(func(*task) { delete(e.lock.calling, target) })
	}
	return t
}

// SignalEntity sends operation to the entity id without waiting for it; with
// entities.SignalAt it is delivered no earlier than the given time.
func (c *Context) SignalEntity(id entities.ID, operation string, input any, opts ...entities.SignalOption) error {
	if err := id.Validate(); err != nil {
		return err
	}
	in, err := c.e.encode(input, func() string { return fmt.Sprintf("input of entity signal %s.%s", id, operation) })
	if err != nil {
		return err
	}
	s := entities.Signal{Target: id, Operation: operation, Input: in}
	for _, o := range opts {
		o(&s)
	}
	c.e.schedule(kindEvent, history.Event{
		Type: history.EventEntityOperationSignaled, InstanceID: id.String(), Name: operation, Input: in, FireAt: s.At,
	})
	return nil
}

// CriticalSection is a set of entities an orchestration holds locked: no other
// orchestration or client operation reaches them until it is released.
type CriticalSection struct {
	e *Execution
}

// LockEntities locks ids (in a fixed global order, so two orchestrations locking
// overlapping sets cannot deadlock) and returns once all are held. Inside the critical
// section the orchestration may call only the locked entities, one call per entity at
// a time, and may not start sub-orchestrations or lock again. Release it when done;
// the runtime releases it when the orchestration ends.
func LockEntities(ctx *Context, ids ...entities.ID) (*CriticalSection, error) {
	e := ctx.e
	if e.lock.held || e.lock.pending {
		return nil, fmt.Errorf("critical sections cannot be nested: release the current one first")
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("LockEntities needs at least one entity")
	}
	targets := make([]string, 0, len(ids))
	for _, id := range ids {
		if err := id.Validate(); err != nil {
			return nil, err
		}
		targets = append(targets, id.String())
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)
	list, _ := json.Marshal(targets)
	t := e.schedule(kindEntity, history.Event{Type: history.EventEntityLockRequested, Name: "lock", InstanceID: targets[0], Input: list})
	e.lock.pending = true
	e.await(t)
	e.lock.pending = false
	if t.err != nil {
		return nil, t.err
	}
	e.lock.held, e.lock.entities, e.lock.calling = true, targets, map[string]bool{}
	return &CriticalSection{e: e}, nil
}

// Release unlocks the entities of the critical section. Releasing twice does nothing.
func (cs *CriticalSection) Release() { cs.e.releaseLocks() }

// lockState is the execution's critical section, if any.
type lockState struct {
	pending  bool
	held     bool
	entities []string
	calling  map[string]bool
}

func (l *lockState) checkCall(target string) error {
	if !l.held {
		return nil
	}
	if !slices.Contains(l.entities, target) {
		return fmt.Errorf("entity %s is not locked by the critical section (%v)", target, l.entities)
	}
	if l.calling[target] {
		return fmt.Errorf("entity %s already has a call in flight inside the critical section", target)
	}
	return nil
}

func (l *lockState) checkSubOrchestration() error {
	if l.held {
		return fmt.Errorf("sub-orchestrations cannot be started inside a critical section")
	}
	return nil
}

func (e *Execution) releaseLocks() {
	if !e.lock.held {
		return
	}
	for _, target := range e.lock.entities {
		e.schedule(kindEvent, history.Event{Type: history.EventEntityUnlockSent, Name: "unlock", InstanceID: target})
	}
	e.lock = lockState{}
}
