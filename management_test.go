package durable_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

var flakyFailures atomic.Int32

func init() {
	extraRegistrations = append(extraRegistrations, func(rt *durable.Runtime) {
		must(rt.RegisterOrchestrator("Counter", func(ctx *orchestrator.Context, n int) (int, error) {
			if n >= 3 {
				return n, nil
			}
			// Each execution waits for one event; unconsumed ones carry over.
			if _, err := orchestrator.WaitForExternalEvent[int](ctx, "Tick").Await(); err != nil {
				return 0, err
			}
			return 0, ctx.ContinueAsNew(n + 1)
		}))
		must(rt.RegisterOrchestrator("CarryLoop", func(ctx *orchestrator.Context, n int) (string, error) {
			switch {
			case n == 0:
				if _, err := orchestrator.WaitForExternalEvent[string](ctx, "Begin").Await(); err != nil {
					return "", err
				}
			case n == 3:
				return orchestrator.WaitForExternalEvent[string](ctx, "Payload").Await()
			}
			return "", ctx.ContinueAsNew(n + 1)
		}))
		must(rt.RegisterActivity("FlakyOnce", func(_ context.Context, name string) (string, error) {
			if flakyFailures.Add(-1) >= 0 {
				return "", errors.New("transient outage")
			}
			return "ok " + name, nil
		}))
		must(rt.RegisterOrchestrator("NeedsRewind", func(ctx *orchestrator.Context) (string, error) {
			a, err := orchestrator.CallActivity[string](ctx, "Hello", "first").Await()
			if err != nil {
				return "", err
			}
			b, err := orchestrator.CallActivity[string](ctx, "FlakyOnce", "second").Await()
			if err != nil {
				return "", err
			}
			return a + "|" + b, nil
		}))
		must(rt.RegisterOrchestrator("Status", func(ctx *orchestrator.Context) (string, error) {
			if err := ctx.SetCustomStatus(map[string]string{"stage": "waiting"}); err != nil {
				return "", err
			}
			return orchestrator.WaitForExternalEvent[string](ctx, "Go").Await()
		}))
	})
}

// waitFor polls cond until it holds or the context ends: for states the runtime
// reports no event for, such as "waiting on an external event".
func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestSuspendHoldsEventsUntilResume(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	id, err := c.Start(ctx, "WaitApproval", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(ctx, id, "not suspended"); !errors.Is(err, durable.ErrWrongState) {
		t.Fatalf("resume of running instance: %v", err)
	}
	if err := c.Suspend(ctx, id, "hold on"); err != nil {
		t.Fatal(err)
	}
	if err := c.RaiseEvent(ctx, id, "Approval", "held"); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx, id)
	if err != nil || st.RuntimeStatus != durable.StatusSuspended {
		t.Fatalf("status while suspended: %v %v", err, st.RuntimeStatus)
	}
	if err := c.Resume(ctx, id, "go on"); err != nil {
		t.Fatal(err)
	}
	st, err = c.WaitForCompletion(ctx, id)
	if err != nil || string(st.Output) != `"held"` {
		t.Fatalf("after resume: %v %s", err, st.Output)
	}
}

func TestTerminate(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	id, err := c.Start(ctx, "WaitApproval", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Terminate(ctx, id, "no longer needed"); err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil || st.RuntimeStatus != durable.StatusTerminated || string(st.Output) != `"no longer needed"` {
		t.Fatalf("%v %v %s", err, st.RuntimeStatus, st.Output)
	}
	if err := c.Terminate(ctx, id, "again"); !errors.Is(err, durable.ErrInstanceFinished) {
		t.Fatalf("terminate finished instance: %v", err)
	}
}

func TestContinueAsNewCarriesEvents(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	id, err := c.Start(ctx, "Counter", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := c.RaiseEvent(ctx, id, "Tick", i); err != nil && !errors.Is(err, durable.ErrInstanceFinished) {
			t.Fatal(err)
		}
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil || string(st.Output) != "3" {
		t.Fatalf("%v %v %s %+v", err, st.RuntimeStatus, st.Output, st.Failure)
	}
	full, err := c.Status(ctx, id, durable.WithHistory())
	if err != nil {
		t.Fatal(err)
	}
	if len(full.History) > 4 {
		t.Fatalf("history of the last execution holds %d events; ContinueAsNew should have reset it", len(full.History))
	}
}

// An event that arrived in one execution reaches a later one across executions that
// continue as new at once, before they could apply what they were handed.
func TestContinueAsNewCarriesEventsAcrossExecutions(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	id, err := c.Start(ctx, "CarryLoop", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RaiseEvent(ctx, id, "Payload", "carried"); err != nil {
		t.Fatal(err)
	}
	if err := c.RaiseEvent(ctx, id, "Begin", nil); err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil || st.RuntimeStatus != durable.StatusCompleted || string(st.Output) != `"carried"` {
		t.Fatalf("%v %v %s", err, st.RuntimeStatus, st.Output)
	}
}

func TestRewindRerunsOnlyFailedWork(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	flakyFailures.Store(1)
	id, err := c.Start(ctx, "NeedsRewind", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil || st.RuntimeStatus != durable.StatusFailed || !strings.Contains(st.Failure.Message, "transient outage") {
		t.Fatalf("%v %v %+v", err, st.RuntimeStatus, st.Failure)
	}
	if err := c.Rewind(ctx, id, "outage over"); err != nil {
		t.Fatal(err)
	}
	st, err = c.WaitForCompletion(ctx, id)
	if err != nil || string(st.Output) != `"Hello first|ok second"` {
		t.Fatalf("after rewind: %v %v %s %+v", err, st.RuntimeStatus, st.Output, st.Failure)
	}
	if err := c.Rewind(ctx, id, "again"); !errors.Is(err, durable.ErrInstanceFinished) {
		t.Fatalf("rewind completed instance: %v", err)
	}
}

func TestRestartPurgeAndList(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	id, err := c.Start(ctx, "Hello3", "Oslo", durable.WithInstanceID("list-a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForCompletion(ctx, id); err != nil {
		t.Fatal(err)
	}
	again, err := c.Restart(ctx, id, true)
	if err != nil || again == id {
		t.Fatalf("restart: %q %v", again, err)
	}
	st, err := c.WaitForCompletion(ctx, again)
	if err != nil || !strings.Contains(string(st.Output), "Hello Oslo") {
		t.Fatalf("restarted: %v %s", err, st.Output)
	}
	if _, err := c.Restart(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForCompletion(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(ctx, "Hello3", "x", durable.WithInstanceID("list-b")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForCompletion(ctx, "list-b"); err != nil {
		t.Fatal(err)
	}
	page, err := c.List(ctx, durable.Query{IDPrefix: "list-", PageSize: 1})
	if err != nil || len(page.Instances) != 1 || page.Instances[0].InstanceID != "list-a" || page.Continuation == "" {
		t.Fatalf("first page: %v %+v", err, page)
	}
	page, err = c.List(ctx, durable.Query{IDPrefix: "list-", PageSize: 1, Continuation: page.Continuation})
	if err != nil || len(page.Instances) != 1 || page.Instances[0].InstanceID != "list-b" {
		t.Fatalf("second page: %v %+v", err, page)
	}
	if err := c.Purge(ctx, "list-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(ctx, "list-a"); !errors.Is(err, durable.ErrInstanceNotFound) {
		t.Fatalf("status after purge: %v", err)
	}
	if err := c.Purge(ctx, "list-a"); !errors.Is(err, durable.ErrInstanceNotFound) {
		t.Fatalf("second purge: %v", err)
	}
	n, err := c.PurgeWhere(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || n < 2 {
		t.Fatalf("purge where: %d %v", n, err)
	}
}

func TestCustomStatusAndPurgeOfRunning(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	id, err := c.Start(ctx, "Status", nil)
	if err != nil {
		t.Fatal(err)
	}
	var st *durable.Status
	waitFor(t, ctx, func() bool {
		st, err = c.Status(ctx, id)
		return err == nil && len(st.CustomStatus) > 0
	})
	var cs map[string]string
	if err := json.Unmarshal(st.CustomStatus, &cs); err != nil || cs["stage"] != "waiting" {
		t.Fatalf("custom status %s %v", st.CustomStatus, err)
	}
	if err := c.Purge(ctx, id); !errors.Is(err, durable.ErrWrongState) {
		t.Fatalf("purge of running instance: %v", err)
	}
	if err := c.RaiseEvent(ctx, id, "Go", "done"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForCompletion(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func TestBadInput(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	for _, id := range []string{"@entity", "a/b", "a#b", "q?", "tab\tid", strings.Repeat("x", 257)} {
		if _, err := c.Start(ctx, "Hello3", "x", durable.WithInstanceID(id)); !errors.Is(err, durable.ErrInvalidInput) {
			t.Errorf("id %q: %v", id, err)
		}
	}
	if _, err := c.Start(ctx, "Hello3", json.RawMessage(`{"broken`)); !errors.Is(err, durable.ErrInvalidInput) {
		t.Errorf("malformed JSON input: %v", err)
	}
	big := strings.Repeat("x", 2<<20)
	if _, err := c.Start(ctx, "Hello3", big); !errors.Is(err, durable.ErrPayloadTooLarge) {
		t.Errorf("oversized input: %v", err)
	}
	// Input that does not decode into the orchestrator's parameter fails the instance
	// with a message naming the problem.
	id, err := c.Start(ctx, "Parent", "not a number")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil || st.RuntimeStatus != durable.StatusFailed || !strings.Contains(st.Failure.Message, "decode input of orchestrator Parent") {
		t.Fatalf("%v %v %+v", err, st.RuntimeStatus, st.Failure)
	}
}
