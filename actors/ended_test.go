package actors

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
)

// gates holds activities of the "Gated" orchestrator until a test opens them.
var gates sync.Map // instance id -> *gate

type gate struct {
	started chan struct{}
	open    chan struct{}
}

func newGate(id string) *gate {
	g := &gate{started: make(chan struct{}), open: make(chan struct{})}
	gates.Store(id, g)
	return g
}

func registerGated(reg *Registry) {
	reg.AddActivity("Gate", func(_ context.Context, in []byte) ([]byte, error) {
		var id string
		_ = json.Unmarshal(in, &id)
		if v, ok := gates.Load(id); ok {
			g := v.(*gate)
			close(g.started)
			<-g.open
		}
		return []byte(`"through"`), nil
	})
	reg.AddOrchestrator("Gated", func(ctx *orchestrator.Context, _ []byte) ([]byte, error) {
		return orchestrator.CallActivity[json.RawMessage](ctx, "Gate", ctx.InstanceID()).Await()
	})
}

// An activity that finishes after its instance was terminated adds nothing to the
// ended execution's history.
func TestTerminatedHistoryStaysClosed(t *testing.T) {
	ctx := ctxT(t)
	g := newGate("terminated-while-working")
	id, err := host.Start(ctx, "Gated", nil, StartOptions{InstanceID: "terminated-while-working"})
	if err != nil {
		t.Fatal(err)
	}
	<-g.started
	if err := host.Terminate(ctx, id, []byte(`"enough"`), false); err != nil {
		t.Fatal(err)
	}
	if row := waitRow(t, ctx, id); row.Status != history.StatusTerminated {
		t.Fatalf("status %v", row.Status)
	}
	// The instance stays in memory while its activity runs, and leaves once it has
	// taken the activity's result: then the result has met the ended execution.
	close(g.open)
	waitFor(t, ctx, func() bool { return !host.isActive(id) })
	_, hist, err := host.Get(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if last.Type != history.EventExecutionCompleted || last.Status != history.StatusTerminated {
		for _, ev := range hist {
			t.Log(ev.Type)
		}
		t.Fatalf("history goes on after the end: last event %v", last.Type)
	}
}

// waitFor polls cond until it holds or the context ends: for states no event reports.
func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached")
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// An instance told that the member running one of its activities went away runs the
// activity again while it is still awaited, and the first result to come back wins.
func TestLostWorkRunsAgain(t *testing.T) {
	ctx := ctxT(t)
	const id = "lost-work"
	g := newGate(id)
	if _, err := host.Start(ctx, "Gated", nil, StartOptions{InstanceID: id}); err != nil {
		t.Fatal(err)
	}
	<-g.started
	_, hist, err := host.Get(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	var execID string
	var taskID int64 = -1
	for _, ev := range hist {
		switch ev.Type {
		case history.EventExecutionStarted:
			execID = ev.ExecutionID
		case history.EventTaskScheduled:
			taskID = ev.ID
		}
	}
	again := newGate(id) // the second run waits at a gate of its own
	host.env.Courier.Send(id, &wire.WorkLost{ExecutionID: execID, TaskID: taskID}, nil)
	<-again.started
	close(again.open)
	if row := waitRow(t, ctx, id); row.Status != history.StatusCompleted || string(row.Output) != `"through"` {
		t.Fatalf("%v %s", row.Status, row.Output)
	}
	close(g.open) // the first run's result arrives late and changes nothing
	waitFor(t, ctx, func() bool { return !host.isActive(id) })
	_, hist, err = host.Get(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	completed := 0
	for _, ev := range hist {
		if ev.Type == history.EventTaskCompleted {
			completed++
		}
	}
	if completed != 1 {
		t.Fatalf("the task completed %d times in history", completed)
	}
}
