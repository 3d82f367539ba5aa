package durabletest_test

import (
	"context"
	"errors"
	"fmt"
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

type Receipt struct {
	Charged int
	Label   string
}

// Checkout charges an order, then has a sub-orchestration ship it.
func Checkout(ctx *orchestrator.Context, o Order) (Receipt, error) {
	charged, err := orchestrator.CallActivity[int](ctx, "Charge", o).Await()
	if err != nil {
		return Receipt{}, err
	}
	label, err := orchestrator.CallSubOrchestrator[string](ctx, "Ship", o).Await()
	return Receipt{Charged: charged, Label: label}, err
}

// TestCheckout is the README's example.
func TestCheckout(t *testing.T) {
	rt := durabletest.New(t) // in-memory journal, fake clock, closed when the test ends
	rt.RegisterOrchestrator("Checkout", Checkout)
	var charged Order
	rt.OnActivity("Charge", func(_ context.Context, o Order) (int, error) {
		charged = o
		return o.Amount, nil
	})
	rt.OnSubOrchestrator("Ship", func(_ *orchestrator.Context, o Order) (string, error) {
		return "label-" + o.ID, nil
	})

	res, err := durabletest.Run[Receipt](t.Context(), rt, "Checkout", Order{ID: "o-1", Amount: 42})
	if err != nil {
		t.Fatal(err)
	}
	if charged.ID != "o-1" || res.Output.Label != "label-o-1" {
		t.Fatalf("charged %+v, got %+v", charged, res.Output)
	}
}

// TestInstancesInFlightStillReplay is the README's example of a replay.
func TestInstancesInFlightStillReplay(t *testing.T) {
	if err := durabletest.ReplayFile("testdata/checkout.json", Checkout); err != nil {
		t.Fatal(err) // e.g. step 0: history has TaskScheduled "Charge", code did ...
	}
}

// Checkout runs with its activity and its sub-orchestration mocked.
func Example() {
	rt, err := durabletest.Open() // in a test: durabletest.New(t)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()
	_ = rt.RegisterOrchestrator("Checkout", Checkout)
	rt.OnActivity("Charge", func(_ context.Context, o Order) (int, error) {
		fmt.Println("charging", o.ID, o.Amount)
		return o.Amount, nil
	})
	rt.OnSubOrchestrator("Ship", func(_ *orchestrator.Context, o Order) (string, error) {
		return "label-" + o.ID, nil
	})

	res, err := durabletest.Run[Receipt](context.Background(), rt, "Checkout", Order{ID: "o-1", Amount: 42})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %+v, %d events\n", res.RuntimeStatus, res.Output, len(res.History))
	// Output:
	// charging o-1 42
	// Completed {Charged:42 Label:label-o-1}, 9 events
}

// Reminder waits 30 days before it sends a reminder.
func Reminder(ctx *orchestrator.Context, email string) (string, error) {
	if err := ctx.CreateTimer(30 * 24 * time.Hour).Await(); err != nil {
		return "", err
	}
	return orchestrator.CallActivity[string](ctx, "SendReminder", email).Await()
}

// Run skips time: the 30-day timer fires as soon as nothing else is left to do.
func ExampleRun() {
	rt, _ := durabletest.Open()
	defer rt.Close()
	began := rt.Clock.Now()
	rt.OnActivity("SendReminder", func(_ context.Context, email string) (string, error) {
		return "reminded " + email, nil
	})

	res, err := durabletest.Run[string](context.Background(), rt, Reminder, "ada@example.com")
	fmt.Println(res.Output, err)
	fmt.Println("the orchestration's clock moved", rt.Clock.Now().Sub(began))
	// Output:
	// reminded ada@example.com <nil>
	// the orchestration's clock moved 720h0m0s
}

// Time can also be moved by hand: a timer fires once the clock passes it.
func ExampleClock_Advance() {
	rt, _ := durabletest.Open()
	defer rt.Close()
	_ = rt.RegisterOrchestrator("Reminder", Reminder)
	rt.OnActivity("SendReminder", func(context.Context, string) (string, error) { return "sent", nil })
	ctx := context.Background()
	id, _ := rt.Client().Start(ctx, "Reminder", "ada@example.com")

	rt.Clock.Advance(29 * 24 * time.Hour)
	st, _ := rt.Client().Status(ctx, id)
	fmt.Println("after 29 days:", st.RuntimeStatus)

	rt.Clock.Advance(24 * time.Hour)
	st, _ = rt.Client().WaitForCompletion(ctx, id)
	fmt.Println("after 30 days:", st.RuntimeStatus)
	// Output:
	// after 29 days: Running
	// after 30 days: Completed
}

// CheckoutShippingFirst is Checkout changed to ship before it charges: instances
// started with Checkout can no longer run on it.
func CheckoutShippingFirst(ctx *orchestrator.Context, o Order) (Receipt, error) {
	label, err := orchestrator.CallSubOrchestrator[string](ctx, "Ship", o).Await()
	if err != nil {
		return Receipt{}, err
	}
	charged, err := orchestrator.CallActivity[int](ctx, "Charge", o).Await()
	return Receipt{Charged: charged, Label: label}, err
}

// A history saved from production (`durable status ID --history --json`) replays
// against the code it ran on, and not against a change that reorders its steps.
func ExampleReplayFile() {
	err := durabletest.ReplayFile("testdata/checkout.json", Checkout)
	fmt.Println("Checkout:", err)

	err = durabletest.ReplayFile("testdata/checkout.json", CheckoutShippingFirst)
	var nd *orchestrator.NonDeterminismError
	if errors.As(err, &nd) {
		fmt.Printf("CheckoutShippingFirst: step %d: history has %s, code did %s\n", nd.Step, nd.History, nd.Code)
	}
	// Output:
	// Checkout: <nil>
	// CheckoutShippingFirst: step 0: history has TaskScheduled "Charge", code did SubOrchestrationInstanceCreated "Ship" (instance "order-7:0")
}

// Close returns as soon as the runtime's last commits are durable.
func ExampleRuntime_Close() {
	rt, _ := durabletest.Open()
	_ = rt.RegisterOrchestrator("Nothing", func(*orchestrator.Context) error { return nil })
	res, _ := durabletest.Run[any](context.Background(), rt, "Nothing", nil, durable.WithInstanceID("n-1"))
	fmt.Println(res.InstanceID, res.RuntimeStatus, rt.Close())
	// Output: n-1 Completed <nil>
}
