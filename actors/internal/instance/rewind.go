package instance

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/history"
)

// rewind re-runs a failed instance from its history minus the failures: failed
// activities run again, failed children are rewound, everything that succeeded stays.
func (t *turn) rewind(r request, m *wire.Control) {
	switch {
	case t.row == nil:
		t.fail(r, wire.CodeNotFound, "instance %q not found", t.a.id)
		return
	case t.row.Status == history.StatusFailed:
	case t.row.Status.IsTerminal():
		t.fail(r, wire.CodeFinished, "instance %q is %s; only failed instances can be rewound", t.a.id, t.row.Status)
		return
	default:
		t.fail(r, wire.CodeWrongState, "instance %q is %s; only failed instances can be rewound", t.a.id, t.row.Status)
		return
	}
	_, hist, err := t.a.h.Journal.Load(context.Background(), t.a.id)
	if err != nil {
		t.fail(r, wire.CodeInternal, "load history: %v", err)
		return
	}
	version := startedVersion(hist, t.row)
	fn, ok := t.a.h.Registry.Orchestrator(t.row.Name, version)
	if !ok {
		t.fail(r, wire.CodeInvalid, "%v", &unregisteredError{name: t.row.Name, version: version})
		return
	}
	kept, children := withoutFailures(hist)
	t.exec = t.a.h.NewExecution(t.a.id, fn)
	t.exec.Replay(kept)
	t.fresh, t.prefix, t.redispatch, t.rewoundChildren = true, kept, true, children
	t.row.Failure, t.row.Output = nil, nil
	t.batch.SetOutput = []byte{}
	t.events = append(t.events, history.Event{Type: history.EventExecutionRewound, Input: m.Reason})
	t.ok(r)
}

// withoutFailures drops failed tasks and the execution's end from hist, and names the
// children whose failure was dropped.
func withoutFailures(hist []history.Event) ([]history.Event, map[string]bool) {
	childOf := map[int64]string{}
	children := map[string]bool{}
	kept := make([]history.Event, 0, len(hist))
	for _, ev := range hist {
		switch ev.Type {
		case history.EventSubOrchestrationCreated:
			childOf[ev.ID] = ev.InstanceID
		case history.EventSubOrchestrationFailed:
			children[childOf[ev.TaskID]] = true
			continue
		case history.EventTaskFailed, history.EventExecutionCompleted:
			continue
		}
		kept = append(kept, ev)
	}
	return kept, children
}

// redispatchRewound restarts the work a rewind reopened.
func (a *instance) redispatchRewound(ctx actor.Context, rewound map[string]bool) {
	for _, ev := range a.exec.Open() {
		switch {
		case ev.Type == history.EventTaskScheduled:
			a.dispatchActivity(ctx, ev)
		case ev.Type == history.EventSubOrchestrationCreated && rewound[ev.InstanceID]:
			a.h.Courier.Send(ev.InstanceID, &wire.Control{Op: wire.OpRewind, Reason: []byte(`"parent rewound"`)}, nil)
		case ev.Type == history.EventSubOrchestrationCreated:
			a.startChild(ev)
		}
	}
}
