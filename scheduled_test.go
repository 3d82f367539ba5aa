package durable_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/history"
)

// A start scheduled for later leaves the instance Pending until then, refusing events
// (a terminate ends it at once), and then it runs as if started then.
func TestScheduledStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := rt.Client()
	at := time.Now().Add(300 * time.Millisecond)
	id, err := c.Start(ctx, "Hello3", "later", durable.WithInstanceID("scheduled-1"), durable.StartAt(at))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx, id, durable.WithHistory())
	if err != nil || st.RuntimeStatus != durable.StatusPending || len(st.History) != 0 {
		t.Fatalf("before its time: %+v, %v", st, err)
	}
	if err := c.RaiseEvent(ctx, id, "early", 1); err == nil {
		t.Fatal("an event to an instance not started yet was taken")
	}
	done, err := c.WaitForCompletion(ctx, id)
	if err != nil || done.RuntimeStatus != durable.StatusCompleted {
		t.Fatalf("after its time: %+v, %v", done, err)
	}
	var out []string
	if err := done.DecodeOutput(&out); err != nil || len(out) != 3 || out[2] != "Hello later" {
		t.Fatalf("output %v, %v", out, err)
	}
	full, err := c.Status(ctx, id, durable.WithHistory())
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range full.History {
		if ev.Type == history.EventExecutionStarted && ev.Time.Before(at) {
			t.Fatalf("it started at %v, before its time %v", ev.Time, at)
		}
	}

	// Terminated while it waits: it ends at once, and its time passing starts nothing.
	later, err := c.Start(ctx, "Hello3", "never", durable.WithInstanceID("scheduled-2"), durable.StartAt(time.Now().Add(200*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Terminate(ctx, later, "changed my mind"); err != nil {
		t.Fatal(err)
	}
	st, err = c.Status(ctx, later)
	if err != nil || st.RuntimeStatus != durable.StatusTerminated {
		t.Fatalf("terminated before its start: %+v, %v", st, err)
	}
	// A start scheduled for the past starts at once; an unknown orchestrator is refused
	// when scheduled, not when due.
	if _, err := c.Start(ctx, "NoSuchOrchestrator", nil, durable.StartAt(time.Now().Add(time.Hour))); !errors.Is(err, durable.ErrUnknownOrchestration) {
		t.Fatalf("scheduling an unknown orchestrator: %v", err)
	}
	now, err := c.Start(ctx, "Hello3", "now", durable.StartAt(time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.WaitForCompletion(ctx, now); err != nil || st.RuntimeStatus != durable.StatusCompleted {
		t.Fatalf("scheduled in the past: %+v, %v", st, err)
	}
}
