package durabletest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/durabletest"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

// testContext bounds a test by a deadline far beyond what it needs: a timer that was
// not skipped would take a month, not a few seconds.
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
	rt.OnActivity("Charge", func(_ context.Context, o Order) (int, error) {
		charged = append(charged, o)
		return o.Amount, nil
	})
	rt.OnSubOrchestrator("Ship", func(_ *orchestrator.Context, o Order) (string, error) { return "label-" + o.ID, nil })
	// Registered after the mocks, the real code still does not run.
	_ = rt.RegisterActivity("Charge", func(context.Context, Order) (int, error) {
		return 0, errors.New("the real payment service was called")
	})
	_ = rt.RegisterOrchestrator("Ship", func(*orchestrator.Context, Order) (string, error) {
		return "", errors.New("the real carrier was called")
	})

	res, err := durabletest.Run[Receipt](testContext(t), rt, "Checkout", Order{ID: "o-1", Amount: 42})
	if err != nil {
		t.Fatal(err)
	}
	if len(charged) != 1 || charged[0] != (Order{ID: "o-1", Amount: 42}) {
		t.Fatalf("Charge was called with %+v, want once with the order", charged)
	}
	if want := (Receipt{Charged: 42, Label: "label-o-1"}); res.Output != want || res.RuntimeStatus != durable.StatusCompleted {
		t.Fatalf("result %+v, status %v; want %+v, Completed", res.Output, res.RuntimeStatus, want)
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
	if res.Output != 30*24*time.Hour {
		t.Fatalf("the orchestration saw %v pass, want 30 days", res.Output)
	}
	if got := rt.Clock.Now().Sub(began); got != 30*24*time.Hour {
		t.Fatalf("the clock moved %v, want exactly to the timer", got)
	}
}

// Time is skipped only while nothing else can happen: each day's check runs at its
// own time, and a child's timers are skipped while its parent waits for it.
func TestTimeIsSkippedOneTimerAtATime(t *testing.T) {
	rt := durabletest.New(t)
	var checkedAt []time.Time
	rt.OnActivity("Check", func(_ context.Context, at time.Time) (bool, error) {
		checkedAt = append(checkedAt, at)
		return len(checkedAt) == 3, nil
	})
	_ = rt.RegisterOrchestrator("Monitor", func(ctx *orchestrator.Context) (int, error) {
		for day := 1; ; day++ {
			if err := ctx.CreateTimer(24 * time.Hour).Await(); err != nil {
				return 0, err
			}
			done, err := orchestrator.CallActivity[bool](ctx, "Check", ctx.Now()).Await()
			if err != nil || done {
				return day, err
			}
		}
	})
	res, err := durabletest.Run[int](testContext(t), rt, func(ctx *orchestrator.Context) (int, error) {
		return orchestrator.CallSubOrchestrator[int](ctx, "Monitor", nil).Await()
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != 3 || len(checkedAt) != 3 {
		t.Fatalf("done on day %d after %d checks, want 3 and 3", res.Output, len(checkedAt))
	}
	for i, at := range checkedAt {
		if want := checkedAt[0].Add(time.Duration(i) * 24 * time.Hour); !at.Equal(want) {
			t.Fatalf("check %d ran at %v, want %v: time moved past a timer", i, at, want)
		}
	}
}

func TestAnEventRaisedBeforeTheWaitBeatsItsTimeout(t *testing.T) {
	approval := func(ctx *orchestrator.Context) (string, error) {
		ok, err := orchestrator.WaitForExternalEvent[bool](ctx, "Approval", orchestrator.WithTimeout(72*time.Hour)).Await()
		switch {
		case errors.Is(err, orchestrator.ErrTimedOut):
			return "escalated", nil
		case err != nil:
			return "", err
		case ok:
			return "approved", nil
		}
		return "rejected", nil
	}
	rt := durabletest.New(t)
	_ = rt.RegisterOrchestrator("Approval", approval)
	ctx := testContext(t)

	timedOut, err := durabletest.Run[string](ctx, rt, "Approval", nil)
	if err != nil || timedOut.Output != "escalated" {
		t.Fatalf("without an event: %q, %v; want escalated", timedOut.Output, err)
	}
	id, err := rt.Client().Start(ctx, "Approval", nil)
	if err == nil {
		err = rt.Client().RaiseEvent(ctx, id, "Approval", true)
	}
	if err != nil {
		t.Fatal(err)
	}
	approved, err := durabletest.Wait[string](ctx, rt, id)
	if err != nil || approved.Output != "approved" {
		t.Fatalf("with the event: %q, %v; want approved", approved.Output, err)
	}
}

func TestAFailedInstanceIsAnErrorWithItsResult(t *testing.T) {
	rt := durabletest.New(t)
	_ = rt.RegisterOrchestrator("Checkout", Checkout)
	rt.OnActivity("Charge", func(context.Context, Order) (int, error) { return 0, errors.New("card declined") })
	res, err := durabletest.Run[Receipt](testContext(t), rt, "Checkout", Order{ID: "o-2"})
	if err == nil || !strings.Contains(err.Error(), "card declined") || !strings.Contains(err.Error(), "Failed") {
		t.Fatalf("error %v, want the instance's failure", err)
	}
	if res == nil || res.RuntimeStatus != durable.StatusFailed || res.Failure == nil {
		t.Fatalf("result %+v, want the failed status", res)
	}
}

func TestMisuseIsReportedClearly(t *testing.T) {
	rt := durabletest.New(t)
	ctx := testContext(t)
	for _, c := range []struct {
		orchestrator any
		want         string
	}{
		{"", "name is empty"},
		{nil, "no orchestrator"},
		{42, "is a int"},
		{func(int) {}, "orchestrator"},
		{"NotRegistered", "NotRegistered"},
	} {
		if _, err := durabletest.Run[any](ctx, rt, c.orchestrator, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%#v): %v, want an error saying %q", c.orchestrator, err, c.want)
		}
	}
	if _, err := durabletest.Wait[any](ctx, rt, "nobody"); !errors.Is(err, durable.ErrInstanceNotFound) {
		t.Errorf("Wait for an unknown instance: %v", err)
	}
	bad := func() (msg string) {
		defer func() { msg, _ = recover().(string) }()
		opened, err := durabletest.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer opened.Close()
		opened.OnActivity("Charge", "not a function")
		return ""
	}()
	if !strings.Contains(bad, `mock "Charge"`) {
		t.Errorf("a mock of the wrong form: %q, want a panic naming it", bad)
	}
	func() {
		defer func() {
			if msg, _ := recover().(string); !strings.Contains(msg, "does not go back") {
				t.Errorf("Clock.Advance(-1s): %q", msg)
			}
		}()
		rt.Clock.Advance(-time.Second)
	}()
}

type Counter struct{ N int }

func (c *Counter) Add(n int) { c.N += n }
func (c *Counter) Get() int  { return c.N }

// Messages to entities count as work under way: time is not skipped past them.
func TestEntitiesAndTimers(t *testing.T) {
	rt := durabletest.New(t)
	if err := rt.RegisterEntity("Counter", entities.Typed[Counter]()); err != nil {
		t.Fatal(err)
	}
	counter := entities.ID{Name: "Counter", Key: "visits"}
	res, err := durabletest.Run[int](testContext(t), rt, func(ctx *orchestrator.Context) (int, error) {
		for range 3 {
			if err := ctx.SignalEntity(counter, "Add", 1); err != nil {
				return 0, err
			}
			if err := ctx.CreateTimer(7 * 24 * time.Hour).Await(); err != nil {
				return 0, err
			}
		}
		return orchestrator.CallEntity[int](ctx, counter, "Get", nil).Await()
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != 3 {
		t.Fatalf("the counter reads %d, want 3", res.Output)
	}
}

func TestTimersAcrossContinueAsNew(t *testing.T) {
	rt := durabletest.New(t)
	began := rt.Clock.Now()
	res, err := durabletest.Run[int](testContext(t), rt, func(ctx *orchestrator.Context, n int) (int, error) {
		if n == 3 {
			return n, nil
		}
		if err := ctx.CreateTimer(24 * time.Hour).Await(); err != nil {
			return 0, err
		}
		return 0, ctx.ContinueAsNew(n + 1)
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != 3 || rt.Clock.Now().Sub(began) != 72*time.Hour {
		t.Fatalf("ended with %d after %v, want 3 after 72h", res.Output, rt.Clock.Now().Sub(began))
	}
}
