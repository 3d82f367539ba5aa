package entity

import (
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/godurable/durable/actors/internal/env"
	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// entityTurn is one batch of an entity's input on its way to the journal.
type entityTurn struct {
	a       *entity
	now     time.Time
	rec     entityRecord
	ops     []entities.Operation
	results []entities.Result // once the operations are applied
	calls   []*wire.CallRef   // per op: where its result goes (nil for signals)
	traces  []string          // per op: the sender's traceparent, when traced
	batch   persistence.Batch
	replies []reply
	deleted bool
}

func (a *entity) runTurn(ctx actor.Context) {
	if a.committing != nil || len(a.queue) == 0 || a.moving {
		return
	}
	reqs := a.queue
	a.queue = nil
	t := &entityTurn{a: a, now: a.h.Now().UTC(), rec: a.rec}
	t.rec.Senders = maps.Clone(a.rec.Senders)
	t.rec.Held = append([]wire.EntityMsg(nil), a.rec.Held...)
	for _, r := range reqs {
		t.add(r)
	}
	if a.remote != nil && len(t.ops) > 0 {
		a.runRemote(ctx, t)
		return
	}
	a.checkpoint(ctx, t)
}

// checkpoint writes t, its operations applied, to the journal.
func (a *entity) checkpoint(ctx actor.Context, t *entityTurn) {
	if !t.finish() {
		for _, r := range t.replies {
			env.Respond(ctx, r.to, r.msg)
		}
		a.maybeDelete(ctx)
		return
	}
	a.committing = t
	sys, self := ctx.ActorSystem(), ctx.Self()
	a.h.Journal.Append(&t.batch, func(err error) { sys.Root.Send(self, &wire.AppendDone{Err: err}) })
}

func (t *entityTurn) ok(r request) {
	if r.replyTo != nil {
		t.replies = append(t.replies, reply{to: r.replyTo, msg: &wire.Reply{Code: wire.CodeOK}})
	}
}

func (t *entityTurn) add(r request) {
	switch m := r.msg.(type) {
	case *wire.EntityMsg:
		if !t.fresh(m) {
			t.ok(r) // applied before: the sender re-sent it after a restart
			return
		}
		if !m.At.IsZero() && m.At.After(t.now) {
			t.schedule(m)
		} else {
			t.admit(*m)
		}
		t.ok(r)
	case *wire.Timer:
		// A scheduled signal is due; the stored timer goes with this checkpoint.
		t.batch.CancelTimers = append(t.batch.CancelTimers, persistence.Timer{InstanceID: t.a.id, ID: m.TimerID, FireAt: m.FireAt})
		var due wire.EntityMsg
		if !t.rec.takeScheduled(m.TimerID) && !t.rec.TimersUnlisted {
			t.ok(r) // fired before, and applied with the checkpoint that removed it
			return
		}
		if err := msgpack.Unmarshal(m.Payload, &due); err == nil {
			due.At = time.Time{}
			t.admit(due)
		}
		t.ok(r)
	case *wire.Delivered:
		t.batch.Delivered = append(t.batch.Delivered, m.IDs...)
		for _, id := range m.IDs {
			delete(t.a.unacked, id)
		}
		t.ok(r)
	default:
		if r.replyTo != nil {
			t.replies = append(t.replies, reply{to: r.replyTo, msg: &wire.Reply{Code: wire.CodeInvalid, Message: "entities do not take this message"}})
		}
	}
}

// fresh records m's sender mark and reports whether m was not applied before.
func (t *entityTurn) fresh(m *wire.EntityMsg) bool {
	if m.From == "" {
		return true
	}
	if mark, ok := t.rec.Senders[m.From]; ok && m.Seq <= mark.Seq {
		return false
	}
	if t.rec.Senders == nil {
		t.rec.Senders = map[string]senderMark{}
	}
	t.rec.Senders[m.From] = senderMark{Seq: m.Seq, Seen: t.now}
	return true
}

// schedule keeps a signal for later as a durable timer carrying the message.
func (t *entityTurn) schedule(m *wire.EntityMsg) {
	payload, err := msgpack.Marshal(m)
	if err != nil {
		return
	}
	id := int64(t.a.Version()+1)<<20 | int64(len(t.batch.ArmTimers))
	t.batch.ArmTimers = append(t.batch.ArmTimers, persistence.Timer{InstanceID: t.a.id, ID: id, FireAt: m.At, Payload: payload})
	t.rec.Scheduled = append(slices.Clone(t.rec.Scheduled), id)
}

// admit applies the lock rules to m in arrival order: lock requests and releases
// change the lock, operations from anyone but the holder wait for its release.
func (t *entityTurn) admit(m wire.EntityMsg) {
	work := []wire.EntityMsg{m}
	for len(work) > 0 {
		m, work = work[0], work[1:]
		held := t.rec.Lock
		switch {
		case m.Kind == wire.EntityUnlock:
			if held != nil && m.Lock != nil && held.Owner == m.Lock.Owner && held.ExecutionID == m.Lock.ExecutionID {
				t.rec.Lock = nil
				work = append(t.rec.Held, work...)
				t.rec.Held = nil
			}
		case held != nil && !ownedBy(held, &m):
			t.rec.Held = append(t.rec.Held, m)
		case m.Kind == wire.EntityLock:
			t.grant(m.Lock)
		default:
			t.ops = append(t.ops, entities.Operation{Name: m.Op, Input: m.Input})
			t.calls = append(t.calls, m.Call)
			if a := t.a; a.h.Tel != nil {
				t.traces = append(t.traces, m.Trace)
			}
		}
	}
}

func ownedBy(l *wire.LockRef, m *wire.EntityMsg) bool {
	return m.Call != nil && m.Call.InstanceID == l.Owner && m.Call.ExecutionID == l.ExecutionID
}

// grant takes the lock for l's owner and passes the request down its chain; the last
// entity of the chain tells the orchestration.
func (t *entityTurn) grant(l *wire.LockRef) {
	if l == nil {
		return
	}
	t.rec.Lock = &wire.LockRef{Owner: l.Owner, ExecutionID: l.ExecutionID, TaskID: l.TaskID}
	if next := l.Position + 1; next < len(l.Entities) {
		fwd := *l
		fwd.Position = next
		env.Outbox(t.a, &t.batch, l.Entities[next], func(id int64) any {
			return &wire.EntityMsg{Kind: wire.EntityLock, From: t.a.sender(), Seq: id, Lock: &fwd}
		})
		return
	}
	env.Outbox(t.a, &t.batch, l.Owner, func(int64) any {
		return &wire.EntityReply{ExecutionID: l.ExecutionID, TaskID: l.TaskID, Granted: true, Entities: l.Entities}
	})
}

// finish applies the admitted operations and assembles the checkpoint. It reports
// whether there is anything to write.
func (t *entityTurn) finish() bool {
	a := t.a
	if len(t.ops) > 0 && t.results == nil {
		began := time.Now()
		state, results := entities.ApplyLive(&a.live, a.eid, a.fn, t.rec.State, t.ops, t.now)
		t.settle(state, results, began)
	}
	pruneSenders(&t.rec, t.now)
	changed := len(t.ops) > 0 || len(t.batch.Send) > 0 || len(t.batch.ArmTimers) > 0 || len(t.batch.CancelTimers) > 0 ||
		len(t.batch.Delivered) > 0 || t.rec.Lock != a.rec.Lock || len(t.rec.Held) != len(a.rec.Held) || len(t.rec.Senders) != len(a.rec.Senders) ||
		len(t.rec.Scheduled) != len(a.rec.Scheduled)
	if !changed {
		return false
	}
	t.batch.InstanceID, t.batch.ExpectedVersion = a.id, a.Version()
	created := t.now
	if a.row != nil {
		created = a.row.CreatedAt
	}
	t.batch.Instance = &persistence.Instance{ID: a.id, Name: a.eid.Name, Status: history.StatusRunning, CreatedAt: created, UpdatedAt: t.now}
	rec, err := msgpack.Marshal(&t.rec)
	if err != nil {
		a.logger().Error("cannot encode entity record", "error", err)
		return false
	}
	t.batch.SetOutput = rec
	return true
}

// settle records the results of the batch's operations, applied since began.
func (t *entityTurn) settle(state []byte, results []entities.Result, began time.Time) {
	a := t.a
	t.rec.State, t.results = state, results
	if tel := a.h.Tel; tel != nil {
		// The operations of a batch are applied together, unmeasured one by one
		// (measuring would cost every operation, traced or not): each is told with
		// the batch's time and size.
		ended := time.Now()
		for i, res := range results {
			tel.EntityOperation(t.traces[i], a.eid.Name, a.id, t.ops[i].Name, res.Failure, began, ended, len(results))
		}
	}
	for i, res := range results {
		if f := res.Failure; f != nil {
			a.logger().Warn("entity operation failed", "operation", t.ops[i].Name, "errorType", f.ErrorType, "error", f.Message)
		}
		t.effects(t.calls[i], res)
	}
}

// effects routes one operation's result: to the waiting orchestration, and the
// signals and starts it asked for to their receivers, all through the outbox.
func (t *entityTurn) effects(call *wire.CallRef, res entities.Result) {
	a := t.a
	if call != nil {
		reply := &wire.EntityReply{ExecutionID: call.ExecutionID, TaskID: call.TaskID, Result: res.Output, Failure: res.Failure}
		env.Outbox(a, &t.batch, call.InstanceID, func(int64) any { return reply })
	}
	for _, s := range res.Signals {
		s := s
		env.Outbox(a, &t.batch, s.Target.String(), func(id int64) any {
			return &wire.EntityMsg{Kind: wire.EntityOperation, Op: s.Operation, Input: s.Input, From: a.sender(), Seq: id, At: s.At}
		})
	}
	for _, st := range res.Starts {
		st := st
		env.Outbox(a, &t.batch, st.InstanceID, func(int64) any {
			return &wire.Start{Name: st.Name, Input: st.Input, ExecutionID: wire.NewID()}
		})
	}
}

// senderMarksKept bounds the de-duplication marks an entity keeps; marks unused for a
// day go first (senders re-send only shortly after a restart).
const (
	senderMarksKept = 10_000
	senderMarkTTL   = 24 * time.Hour
)

func pruneSenders(r *entityRecord, now time.Time) {
	if len(r.Senders) < senderMarksKept {
		return
	}
	for k, m := range r.Senders {
		if now.Sub(m.Seen) > senderMarkTTL {
			delete(r.Senders, k)
		}
	}
}

func (a *entity) committed(ctx actor.Context, err error) {
	t := a.committing
	a.committing = nil
	if t == nil {
		return
	}
	if err != nil {
		if errors.Is(err, persistence.ErrFenced) {
			a.logger().Debug("the entity's partition is no longer served here; this activation stops (it moved, or this member lost it)", "error", err)
		} else {
			a.logger().Error("entity checkpoint failed; the entity reloads", "error", err)
		}
		for _, r := range t.replies {
			env.Respond(ctx, r.to, wire.NotRecorded(err))
		}
		for _, r := range a.queue {
			env.Respond(ctx, r.replyTo, &wire.Reply{Code: wire.CodeRetry, Message: "entity is reloading"})
		}
		a.queue = nil
		if errors.Is(err, persistence.ErrFenced) {
			a.idle.MoveAway(a.h.Lifecycle, a.ci, a.self)
		} else {
			a.idle.Leave(a.h.Lifecycle, a.ci, a.self)
		}
		return
	}
	if t.deleted {
		a.row, a.rec = nil, entityRecord{Incarnation: wire.NewID()}
	} else {
		a.rec = t.rec
		a.row = t.batch.Instance
		a.row.Version = t.batch.ExpectedVersion + 1
		a.row.Output = t.batch.SetOutput
	}
	for _, m := range t.batch.Send {
		a.unacked[m.ID] = true
		a.h.DeliverOutbox(m)
	}
	for _, tm := range t.batch.ArmTimers {
		a.h.Timers.Arm(tm)
	}
	for _, r := range t.replies {
		env.Respond(ctx, r.to, r.msg)
	}
	a.maybeDelete(ctx)
	a.runTurn(ctx)
}

// maybeDelete removes the storage of an entity left without state, lock or pending
// messages: an entity exists while it has state.
func (a *entity) maybeDelete(ctx actor.Context) {
	if a.committing != nil || a.row == nil || !a.rec.empty() || len(a.unacked) > 0 || len(a.queue) > 0 || a.moving {
		return
	}
	t := &entityTurn{a: a, deleted: true}
	t.batch = persistence.Batch{InstanceID: a.id, ExpectedVersion: a.Version(), Delete: true}
	a.committing = t
	sys, self := ctx.ActorSystem(), ctx.Self()
	a.h.Journal.Append(&t.batch, func(err error) { sys.Root.Send(self, &wire.AppendDone{Err: err}) })
}
