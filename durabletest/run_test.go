package durabletest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/durabletest"
	"github.com/godurable/durable/orchestrator"
)

type Order struct {
	ID     string
	Amount int
}

type Receipt struct{ Charged int }

func Checkout(ctx *orchestrator.Context, o Order) (Receipt, error) {
	r, err := orchestrator.CallActivity[Receipt](ctx, "Charge", o).Await()
	if err != nil {
		return Receipt{}, err
	}
	label, err := orchestrator.CallSubOrchestrator[string](ctx, "Ship", o).Await()
	if err != nil {
		return Receipt{}, err
	}
	_ = label
	return r, nil
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestMockedActivityGetsTheOrchestrationsInput(t *testing.T) {
	rt := durabletest.New(t)
	if err := rt.RegisterOrchestrator("Checkout", Checkout); err != nil {
		t.Fatal(err)
	}
	var charged []Order // written by the activity, read once the instance ended
	rt.OnActivity("Charge", func(_ context.Context, o Order) (Receipt, error) {
		charged = append(charged, o)
		return Receipt{Charged: o.Amount}, nil
	})
	rt.OnSubOrchestrator("Ship", func(_ *orchestrator.Context, o Order) (string, error) { return "label-" + o.ID, nil })
	// Registered after the mock, the real activity still does not run.
	_ = rt.RegisterActivity("Charge", func(context.Context, Order) (Receipt, error) {
		return Receipt{}, errors.New("the real payment service was called")
	})

	res, err := durabletest.Run[Receipt](testContext(t), rt, "Checkout", Order{ID: "o-1", Amount: 42})
	if err != nil {
		t.Fatal(err)
	}
	if len(charged) != 1 || charged[0] != (Order{ID: "o-1", Amount: 42}) {
		t.Fatalf("Charge was called with %+v, want once with the order", charged)
	}
	if res.Output != (Receipt{Charged: 42}) || res.RuntimeStatus != durable.StatusCompleted {
		t.Fatalf("result %+v, status %v", res.Output, res.RuntimeStatus)
	}
	if len(res.History) == 0 {
		t.Fatal("the result has no history")
	}
}

func TestAMonthLongTimerFiresAtOnce(t *testing.T) {
	rt := durabletest.New(t)
	began := rt.Clock.Now()
	res, err := durabletest.Run[time.Duration](testContext(t), rt, func(ctx *orchestrator.Context) (time.Duration, error) {
		start := ctx.Now()
		if err := ctx.CreateTimer(30 * 24 * time.Hour).Await(); err != nil {
			return 0, err
		}
		return ctx.Now().Sub(start), nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Output < 30*24*time.Hour {
		t.Fatalf("the orchestration saw %v pass, want 30 days", res.Output)
	}
	if got := rt.Clock.Now().Sub(began); got != 30*24*time.Hour {
		t.Fatalf("the clock moved %v, want exactly to the timer", got)
	}
}
