package durabletest_test

import (
	"context"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/durabletest"
	"github.com/godurable/durable/orchestrator"
)

// VersionedCheckout charges with tax from version 2 on.
func VersionedCheckout(ctx *orchestrator.Context, o Order) (int, error) {
	if ctx.Version() == "1" {
		return orchestrator.CallActivity[int](ctx, "Charge", o).Await()
	}
	return orchestrator.CallActivity[int](ctx, "ChargeWithTax", o).Await()
}

// A saved history replays at the version it was recorded at, in every form Replay
// takes: code that branches on ctx.Version() takes the branch the instance took.
func TestReplayKeepsTheVersion(t *testing.T) {
	rt := durabletest.New(t)
	_ = rt.RegisterOrchestrator("VersionedCheckout", VersionedCheckout, durable.Version("1"))
	_ = rt.RegisterOrchestrator("VersionedCheckout", VersionedCheckout, durable.DefaultVersion("2"))
	rt.OnActivity("Charge", func(_ context.Context, o Order) (int, error) { return o.Amount, nil })
	rt.OnActivity("ChargeWithTax", func(_ context.Context, o Order) (int, error) { return o.Amount * 2, nil })
	rec := record(t, rt, "VersionedCheckout", Order{ID: "o-1", Amount: 10}, "versioned-1", durable.WithVersion("1"))
	if st, err := rt.Client().Status(testContext(t), "versioned-1"); err != nil || string(st.Output) != "10" || st.Version != "1" {
		t.Fatalf("ran %+v, %v; want 10 at version 1", st, err)
	}
	for form, b := range map[string][]byte{"api": rec.api, "status": rec.status, "events": rec.events} {
		if err := durabletest.Replay(b, VersionedCheckout); err != nil {
			t.Errorf("%s: %v", form, err)
		}
	}
}
