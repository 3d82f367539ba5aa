package examples_test

import (
	"context"
	"fmt"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/examples"
)

// A program opens a runtime once, registers the examples and starts instances by the
// names the seeds use.
func ExampleRegister() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, err := durable.Open(durable.Config{InMemory: true})
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	if err := examples.Register(rt); err != nil {
		panic(err)
	}

	id, err := rt.Client().Start(ctx, "Chaining", nil)
	if err != nil {
		panic(err)
	}
	st, err := rt.Client().WaitForCompletion(ctx, id)
	if err != nil {
		panic(err)
	}
	var out string
	if err := st.DecodeOutput(&out); err != nil {
		panic(err)
	}
	fmt.Println(st.RuntimeStatus, out)
	// Output: Completed F1 -> F2 -> F3 -> F4
}

// The onboarding activities run in parallel; the output keeps their order.
// (rt, here and below, is a runtime opened and registered as in ExampleRegister.)
func ExampleOnboardingOrchestrator() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rt.Client()
	id, err := c.Start(ctx, "OnboardingOrchestrator", examples.Employee{
		Name: "Johnny Lawrence", Email: "johnny.lawrence@eaglefang.com", StartDate: "01.02.2022", Role: "developer",
	})
	if err != nil {
		panic(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		panic(err)
	}
	var messages []string
	if err := st.DecodeOutput(&messages); err != nil {
		panic(err)
	}
	for _, m := range messages {
		fmt.Println(m)
	}
	// Output:
	// Access card was created for Johnny Lawrence.
	// Role specific IT equipment (role: developer) was ordered for Johnny Lawrence.
	// Welcome email was sent to johnny.lawrence@eaglefang.com.
}

// A manager approves the equipment of a sales hire by raising ApprovalRequest once
// the instance reports that it waits.
func ExampleOnboardingOrchestratorExternalEvent() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rt.Client()
	id, err := c.Start(ctx, "OnboardingOrchestratorExternalEvent", examples.EmployeeApproval{
		Employee: examples.Employee{Name: "Daniel LaRusso", Email: "daniel.larusso@miyagido.com", StartDate: "15.02.2022", Role: "sales"},
	})
	if err != nil {
		panic(err)
	}
	if _, err := examples.WaitForCustomStatus(ctx, c, id, examples.WaitingForApproval); err != nil {
		panic(err)
	}
	fmt.Println(examples.WaitingForApproval)
	if err := c.RaiseEvent(ctx, id, "ApprovalRequest", "approved"); err != nil {
		panic(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println(st.RuntimeStatus, string(st.Output))
	// Output:
	// Waiting for approval
	// Completed "Role specific IT equipment (role: sales) was ordered for Daniel LaRusso."
}

// The fan-out/fan-in returns one result per task, in the order of the tasks.
func ExampleFanOutFanInOrchestrator() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rt.Client()
	id, err := c.Start(ctx, "FanOutFanInOrchestrator", []string{"Task1", "Task2", "Task3"})
	if err != nil {
		panic(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(st.Output))
	// Output: ["Task1 completed","Task2 completed","Task3 completed"]
}
