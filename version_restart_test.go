package durable_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

// Checkout version 1 waits for approval, then ships; version 2 ships first, so that
// its code could not replay a history version 1 recorded.
func checkoutV1(ctx *orchestrator.Context, order string) (string, error) {
	if _, err := orchestrator.WaitForExternalEvent[string](ctx, "Approve").Await(); err != nil {
		return "", err
	}
	return orchestrator.CallActivity[string](ctx, "Hello", "v"+ctx.Version()+" "+order).Await()
}

func checkoutV2(ctx *orchestrator.Context, order string) (string, error) {
	shipped, err := orchestrator.CallActivity[string](ctx, "Hello", "v"+ctx.Version()+" "+order).Await()
	if err != nil {
		return "", err
	}
	_, err = orchestrator.WaitForExternalEvent[string](ctx, "Approve").Await()
	return shipped + " then approved", err
}

// The versions scenario runs each step in a process of its own, on one data
// directory: version 1 alone and the default; then version 2 alone; then both.
func init() {
	scenarios["versions"] = struct {
		register func(rt *durable.Runtime, step int)
		run      func(ctx context.Context, c *durable.Client, step int) int
	}{
		register: func(rt *durable.Runtime, step int) {
			must(rt.RegisterActivity("Hello", func(_ context.Context, name string) (string, error) { return "Hello " + name, nil }))
			switch step {
			case 1:
				must(rt.RegisterOrchestrator("Checkout", checkoutV1, durable.DefaultVersion("1")))
			case 2:
				must(rt.RegisterOrchestrator("Checkout", checkoutV2, durable.DefaultVersion("2")))
			default:
				must(rt.RegisterOrchestrator("Checkout", checkoutV1, durable.Version("1")))
				must(rt.RegisterOrchestrator("Checkout", checkoutV2, durable.DefaultVersion("2")))
			}
		},
		run: versionsStep,
	}
}

func versionsStep(ctx context.Context, c *durable.Client, step int) int {
	switch step {
	case 1, 2:
		id := map[int]string{1: "old", 2: "new"}[step]
		if _, err := c.Start(ctx, "Checkout", "o-"+id, durable.WithInstanceID(id)); err != nil {
			return fail(err)
		}
		if step == 2 {
			// Version 1's code is gone: its instance waits, and says why.
			err := c.RaiseEvent(ctx, "old", "Approve", "yes")
			fmt.Println("event to old:", err)
		}
		for _, id := range []string{"old", "new"}[:step] {
			st, err := c.WaitForStart(ctx, id)
			if err != nil {
				return fail(err)
			}
			fmt.Println(id, st.RuntimeStatus, "at version", st.Version)
		}
		return 0
	}
	for _, id := range []string{"old", "new"} {
		if err := c.RaiseEvent(ctx, id, "Approve", "yes"); err != nil {
			return fail(err)
		}
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil {
			return fail(err)
		}
		fmt.Println(id, st.RuntimeStatus, "at version", st.Version+":", string(st.Output))
	}
	return 0
}

// An instance runs the version it was started at to its end, across restarts of the
// runtime, while new instances start at whichever version is the default by then. An
// instance whose version has no code waits, and says why, until the code is back.
func TestInstancesFinishOnTheVersionTheyStartedAt(t *testing.T) {
	dir := t.TempDir()
	first := startStep(t, dir, "versions", 1)
	if out, want := first.finish(), "old Running at version 1"; out != want {
		t.Fatalf("step 1: %q, want %q", out, want)
	}
	if log := first.err.String(); !strings.Contains(log, "orchestration started instanceId=old name=Checkout") ||
		!strings.Contains(log, "version=1") {
		t.Errorf("the start's log record does not name the version:\n%s", log)
	}
	want := `event to old: orchestrator Checkout has no version "1" registered in this process
old Running at version 1
new Running at version 2`
	if out := startStep(t, dir, "versions", 2).finish(); out != want {
		t.Fatalf("step 2 (version 2 alone):\n%s\nwant:\n%s", out, want)
	}
	want = `old Completed at version 1: "Hello v1 o-old"
new Completed at version 2: "Hello v2 o-new then approved"`
	if out := startStep(t, dir, "versions", 3).finish(); out != want {
		t.Fatalf("step 3 (both versions):\n%s\nwant:\n%s", out, want)
	}
}
