package entity

import (
	"fmt"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/godurable/durable/entities"
)

// remoteDone is a remote batch's outcome, sent to the entity by whatever ran it.
type remoteDone struct {
	t       *entityTurn
	state   []byte
	results []entities.Result
	err     error
	began   time.Time
}

// runRemote hands t's operations to the entity's remote runner. The turn holds the
// entity as a checkpoint does: later input waits in the queue, and replies wait for
// the checkpoint that records the worker's answer, so that the answer is applied once,
// in order, with the sender marks and effects of its batch.
func (a *entity) runRemote(ctx actor.Context, t *entityTurn) {
	a.committing = t
	sys, self := ctx.ActorSystem(), ctx.Self()
	b := entities.Batch{ID: a.eid, State: slices.Clone(t.rec.State), Operations: slices.Clone(t.ops)}
	began := time.Now()
	a.remote(b, func(state []byte, results []entities.Result, err error) {
		sys.Root.Send(self, &remoteDone{t: t, state: state, results: results, err: err, began: began})
	})
}

// remoteDone applies a remote batch's outcome and writes the turn. Without one, the
// turn is dropped as a failed checkpoint is: its senders are told it was not
// recorded, and the entity reloads.
func (a *entity) remoteDone(ctx actor.Context, m *remoteDone) {
	t := m.t
	if t != a.committing {
		return // the turn was given up meanwhile
	}
	if m.err == nil && len(m.results) != len(t.ops) {
		m.err = fmt.Errorf("the remote entity answered %d results for %d operations", len(m.results), len(t.ops))
	}
	if m.err != nil {
		a.logger().Warn("a remote entity batch has no outcome", "error", m.err)
		a.committed(ctx, m.err)
		return
	}
	a.committing = nil
	a.live = entities.Live{}
	t.settle(m.state, m.results, m.began)
	a.checkpoint(ctx, t)
}
