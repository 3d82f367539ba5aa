package durable_test

import (
	"context"
	"fmt"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

// Greet is an orchestrator: it calls an activity with a retry policy and returns
// its result. It is replayed from history, so it only does deterministic work.
func Greet(ctx *orchestrator.Context, name string) (string, error) {
	return orchestrator.CallActivity[string](ctx, "SayHello", name,
		orchestrator.WithRetry(orchestrator.RetryPolicy{MaxAttempts: 3})).Await()
}

// SayHello is an activity: it may do I/O, and runs at least once.
func SayHello(_ context.Context, name string) (string, error) {
	return "Hello " + name, nil
}

// The shared runtime stands in for durable.Open(durable.Config{Dir: "./data"}): one
// actor system per process.
func Example() {
	ctx := context.Background()
	_ = rt.RegisterOrchestrator("Greet", Greet)
	_ = rt.RegisterActivity("SayHello", SayHello)

	c := rt.Client()
	id, err := c.Start(ctx, "Greet", "world", durable.WithInstanceID("greet-world"))
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	var greeting string
	_ = st.DecodeOutput(&greeting)
	fmt.Println(st.RuntimeStatus, greeting)
	// Output: Completed Hello world
}

func ExampleClient_RaiseEvent() {
	ctx := context.Background()
	_ = rt.RegisterOrchestrator("AwaitApproval", func(ctx *orchestrator.Context) (string, error) {
		approved, err := orchestrator.WaitForExternalEvent[bool](ctx, "Approval").Await()
		if err != nil || !approved {
			return "declined", err
		}
		return "approved", nil
	})
	c := rt.Client()
	id, _ := c.Start(ctx, "AwaitApproval", nil)
	// Events raised before the orchestration waits for them are buffered.
	if err := c.RaiseEvent(ctx, id, "Approval", true); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := c.WaitForCompletion(ctx, id)
	fmt.Println(string(st.Output))
	// Output: "approved"
}

func ExampleClient_Terminate() {
	ctx := context.Background()
	c := rt.Client()
	id, _ := c.Start(ctx, "WaitApproval", nil)
	_ = c.Terminate(ctx, id, "cancelled by user")
	st, _ := c.WaitForCompletion(ctx, id)
	fmt.Println(st.RuntimeStatus, string(st.Output))
	// Output: Terminated "cancelled by user"
}

func ExampleClient_List() {
	ctx := context.Background()
	c := rt.Client()
	for _, id := range []string{"report-1", "report-2"} {
		_, _ = c.Start(ctx, "Hello3", "x", durable.WithInstanceID(id))
		_, _ = c.WaitForCompletion(ctx, id)
	}
	page, _ := c.List(ctx, durable.Query{IDPrefix: "report-", Statuses: []durable.RuntimeStatus{durable.StatusCompleted}})
	for _, st := range page.Instances {
		fmt.Println(st.InstanceID, st.RuntimeStatus)
	}
	// Output:
	// report-1 Completed
	// report-2 Completed
}

// An activity's records carry its instance, execution, name and task; the runtime tells
// the instance's start and end in the same terms. (The shared runtime's Config.Logger
// keeps its records for the tests; this prints those of the instance.)
func ExampleActivityLogger() {
	_ = rt.RegisterActivity("Ship", func(ctx context.Context, parcel string) (string, error) {
		durable.ActivityLogger(ctx).Info("shipping", "parcel", parcel)
		return "shipped " + parcel, nil
	})
	_ = rt.RegisterOrchestrator("Order", func(ctx *orchestrator.Context, parcel string) (string, error) {
		return orchestrator.CallActivity[string](ctx, "Ship", parcel).Await()
	})
	ctx := context.Background()
	id, _ := rt.Client().Start(ctx, "Order", "p-1", durable.WithInstanceID("order-1"))
	_, _ = rt.Client().WaitForCompletion(ctx, id)
	for _, r := range story.of("instanceId", "order-1") {
		fmt.Println(r.level, r.msg, "name="+r.attrs["name"], "activity="+r.attrs["activity"], "taskId="+r.attrs["taskId"],
			"parcel="+r.attrs["parcel"])
	}
	// Output:
	// INFO orchestration started name=Order activity= taskId= parcel=
	// INFO shipping name= activity=Ship taskId=0 parcel=p-1
	// INFO orchestration completed name=Order activity= taskId= parcel=
}
