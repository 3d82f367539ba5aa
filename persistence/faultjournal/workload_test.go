package faultjournal_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/memjournal"
)

// workload makes the batches the fault tests append: every kind of change a batch can
// carry, sized so that payloads and histories sometimes stay in the row and sometimes
// move to keys of their own, and instances sometimes list more timers than a row holds.
// Everything comes from its random source, so a seed makes the same batches.
type workload struct {
	r         *rand.Rand
	ids       []string
	instances map[string]*instanceGen
	round     int
}

// instanceGen is what the workload needs to make the next batch of an instance. It
// runs ahead of the journal: an instance whose append fails is not appended to again.
type instanceGen struct {
	version    uint64
	generation int // counts creations, which a delete ends
	events     int
	nextTimer  int64
	armed      []persistence.Timer
	nextMsg    int64
	unacked    []int64
	recover    bool
}

func newWorkload(r *rand.Rand, n int) *workload {
	w := &workload{r: r, instances: map[string]*instanceGen{}}
	for i := range n {
		id := fmt.Sprintf("orch-%d", i)
		if i%3 == 2 {
			id = fmt.Sprintf("@counter@%d", i)
		}
		w.ids = append(w.ids, id)
		w.instances[id] = &instanceGen{}
	}
	return w
}

var epoch = time.Date(2031, 1, 2, 3, 4, 5, 6000, time.UTC)

func (w *workload) payload(id, what string) []byte {
	pad := strings.Repeat("x", w.r.IntN(600))
	return fmt.Appendf(nil, `{"id":%q,"what":%q,"round":%d,"pad":%q}`, id, what, w.round, pad)
}

func (w *workload) events(id string, g *instanceGen, n int) []history.Event {
	evs := make([]history.Event, n)
	for i := range evs {
		g.events++
		evs[i] = history.Event{
			Type: history.EventTaskScheduled, Time: epoch.Add(time.Duration(g.events) * time.Millisecond),
			ID: int64(g.events), Name: "Activity", ExecutionID: g.executionID(id),
			Input: fmt.Appendf(nil, `{"of":%q,"n":%d,"pad":%q}`, id, g.events, strings.Repeat("e", w.r.IntN(80))),
		}
	}
	return evs
}

func (g *instanceGen) executionID(id string) string { return fmt.Sprintf("x-%s-%d", id, g.generation) }

func (w *workload) row(id string, g *instanceGen) *persistence.Instance {
	return &persistence.Instance{
		Name: "Orchestration-" + id, ExecutionID: g.executionID(id), Status: history.StatusRunning,
		CreatedAt: epoch, UpdatedAt: epoch.Add(time.Duration(w.round) * time.Second),
		CustomStatus: fmt.Appendf(nil, `{"round":%d}`, w.round),
	}
}

// next makes the next batch of instance id.
func (w *workload) next(id string) *persistence.Batch {
	g := w.instances[id]
	r := w.r
	b := &persistence.Batch{InstanceID: id, ExpectedVersion: g.version}
	g.version++
	if g.version == 1 {
		g.generation++
		g.events = 0
		b.Instance = w.row(id, g)
		b.SetInput = w.payload(id, "input")
		b.Events = w.events(id, g, 1+r.IntN(4))
		g.recover = true
		b.Recover = ptr(true)
		return b
	}
	if r.IntN(40) == 0 {
		b.Delete = true
		*g = instanceGen{generation: g.generation}
		return b
	}
	b.Instance = w.row(id, g)
	if r.IntN(3) == 0 {
		b.SetOutput = w.payload(id, "output")
	}
	if r.IntN(5) == 0 {
		b.SetInput = w.payload(id, "input")
	}
	if r.IntN(15) == 0 {
		b.ResetHistory = true
		g.generation++
		g.events = 0
		b.Instance.ExecutionID = g.executionID(id)
	}
	n := r.IntN(5)
	if r.IntN(8) == 0 {
		n = 20 + r.IntN(40)
	}
	b.Events = w.events(id, g, n)
	for range r.IntN(4) {
		g.nextTimer++
		t := persistence.Timer{ExecutionID: g.executionID(id), ID: g.nextTimer,
			FireAt: epoch.Add(time.Duration(r.IntN(1000)) * time.Minute), Payload: fmt.Appendf(nil, `"t%d"`, g.nextTimer)}
		b.ArmTimers = append(b.ArmTimers, t)
		g.armed = append(g.armed, t)
	}
	for range r.IntN(2) {
		if len(g.armed) == 0 {
			break
		}
		i := r.IntN(len(g.armed))
		b.CancelTimers = append(b.CancelTimers, g.armed[i])
		g.armed = slices.Delete(g.armed, i, i+1)
	}
	for range r.IntN(3) {
		g.nextMsg++
		b.Send = append(b.Send, persistence.Message{ID: g.nextMsg, To: "receiver", Payload: fmt.Appendf(nil, `"m%d"`, g.nextMsg)})
		g.unacked = append(g.unacked, g.nextMsg)
	}
	for len(g.unacked) > 0 && r.IntN(2) == 0 {
		b.Delivered = append(b.Delivered, g.unacked[0])
		g.unacked = g.unacked[1:]
	}
	if r.IntN(3) == 0 {
		g.recover = !g.recover
		b.Recover = ptr(g.recover)
	}
	return b
}

// ledger is what the journal acknowledged: each instance's acknowledged batches, in
// order, and a model journal holding all of them.
type ledger struct {
	batches map[string][]*persistence.Batch
	model   *memjournal.Journal
}

func newLedger() *ledger {
	return &ledger{batches: map[string][]*persistence.Batch{}, model: memjournal.New()}
}

func (l *ledger) acked(ctx context.Context, b *persistence.Batch) error {
	l.batches[b.InstanceID] = append(l.batches[b.InstanceID], b)
	if err := persistence.AppendSync(ctx, l.model, b); err != nil {
		return fmt.Errorf("the model refused acknowledged batch %d of %s: %w", len(l.batches[b.InstanceID]), b.InstanceID, err)
	}
	return nil
}

// with returns a model journal holding the acknowledged batches of id and then extra:
// what the journal holds if it kept an unacknowledged batch whole.
func (l *ledger) with(ctx context.Context, id string, extra *persistence.Batch) (*memjournal.Journal, error) {
	m := memjournal.New()
	for _, b := range append(slices.Clone(l.batches[id]), extra) {
		if err := persistence.AppendSync(ctx, m, b); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// state is what a journal holds of one instance, rendered for comparison: what Load
// returns, and its timers, outbound messages and recovery mark, which Load does not.
type state struct {
	load, side string
	err        error // from Load
}

func (s state) String() string {
	if s.err != nil {
		return "Load: " + s.err.Error()
	}
	return s.load + "\n" + s.side
}

func (s state) equal(o state) bool {
	return s.err == nil && o.err == nil && s.load == o.load && s.side == o.side
}

// snapshot is everything j holds, by instance; reads fail the snapshot, except Load of
// one instance, which its state records.
type snapshot map[string]state

func snap(ctx context.Context, j persistence.Journal, ids []string) (snapshot, error) {
	timers, err := j.Timers(ctx, epoch.Add(100*365*24*time.Hour), 0)
	if err != nil {
		return nil, fmt.Errorf("Timers: %w", err)
	}
	outbox := map[string][]persistence.Message{}
	if err := j.Outbox(ctx, func(m persistence.Message) error {
		outbox[m.From] = append(outbox[m.From], m)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("Outbox: %w", err)
	}
	recoverable := map[string]bool{}
	if err := j.Recoverable(ctx, func(id string) error { recoverable[id] = true; return nil }); err != nil {
		return nil, fmt.Errorf("Recoverable: %w", err)
	}
	if _, _, err := j.List(ctx, persistence.Query{WithPayloads: true, PageSize: 1000}); err != nil {
		return nil, fmt.Errorf("List: %w", err)
	}
	if _, _, err := j.List(ctx, persistence.Query{Entities: true, WithPayloads: true, PageSize: 1000}); err != nil {
		return nil, fmt.Errorf("List of entities: %w", err)
	}
	s := snapshot{}
	for _, id := range ids {
		var st state
		inst, events, err := j.Load(ctx, id)
		switch {
		case errors.Is(err, persistence.ErrNotFound):
			st.load = "absent"
		case err != nil:
			st.err = err
		default:
			st.load = renderLoad(inst, events)
		}
		var side strings.Builder
		for _, t := range timers {
			if t.InstanceID == id {
				fmt.Fprintf(&side, "timer %s %d %d %q\n", t.ExecutionID, t.ID, t.FireAt.UnixNano(), t.Payload)
			}
		}
		for _, m := range outbox[id] {
			fmt.Fprintf(&side, "message %d to %s %q\n", m.ID, m.To, m.Payload)
		}
		fmt.Fprintf(&side, "recover %v", recoverable[id])
		st.side = side.String()
		s[id] = st
	}
	return s, nil
}

func renderLoad(in *persistence.Instance, events []history.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s name=%s x=%s status=%v created=%d updated=%d custom=%q version=%d len=%d\n",
		in.ID, in.Name, in.ExecutionID, in.Status, in.CreatedAt.UnixNano(), in.UpdatedAt.UnixNano(),
		in.CustomStatus, in.Version, in.HistoryLen)
	fmt.Fprintf(&b, "input=%q\noutput=%q\n", in.Input, in.Output)
	for _, e := range events {
		fmt.Fprintf(&b, "event %v %d %d %d %s %s %q\n", e.Type, e.Time.UnixNano(), e.ID, e.TaskID, e.Name, e.ExecutionID, e.Input)
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }
