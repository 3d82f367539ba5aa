package examples_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/examples"
	"github.com/godurable/durable/history"
)

// One runtime serves every test and example of the package: starting one costs about
// a second.
var rt *durable.Runtime

func TestMain(m *testing.M) {
	var err error
	rt, err = durable.Open(durable.Config{InMemory: true, IdleTimeout: 200 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := examples.Register(rt, examples.WithServiceCheck(checkService)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := rt.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := rt.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// checkService lets tests pick a service's health by its name: "always-down" never
// answers, "broken-probe" cannot be checked, others behave as the simulated service.
func checkService(ctx context.Context, c examples.ServiceCheck) (bool, error) {
	switch c.Service {
	case "always-down":
		return false, nil
	case "broken-probe":
		return false, errors.New("health endpoint unreachable")
	default:
		return examples.CheckExternalServiceStatus(ctx, c)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// runToEnd starts the orchestrator and waits for the instance to finish.
func runToEnd(t *testing.T, name string, input any) *durable.Status {
	t.Helper()
	ctx := testCtx(t)
	id, err := rt.Client().Start(ctx, name, input)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	st, err := rt.Client().WaitForCompletion(ctx, id)
	if err != nil {
		logInstance(t, id)
		t.Fatalf("wait for %s %s: %v", name, id, err)
	}
	return st
}

// logInstance logs what the instance has recorded, to tell why it did not finish.
func logInstance(t *testing.T, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := rt.Client().Status(ctx, id, durable.WithHistory())
	if err != nil {
		t.Logf("status of %s: %v", id, err)
		return
	}
	t.Logf("%s %s: %v, custom status %s, output %s, failure %+v", st.Name, id, st.RuntimeStatus, st.CustomStatus, st.Output, st.Failure)
	for _, e := range st.History {
		t.Logf("  %v id=%d task=%d name=%q input=%s result=%s failure=%+v", e.Type, e.ID, e.TaskID, e.Name, e.Input, e.Result, e.Failure)
	}
}

// completed asserts the instance completed and decodes its output.
func completed[T any](t *testing.T, st *durable.Status) T {
	t.Helper()
	var out T
	if st.RuntimeStatus != durable.StatusCompleted {
		t.Fatalf("%s %s is %v, want Completed; failure: %+v", st.Name, st.InstanceID, st.RuntimeStatus, st.Failure)
	}
	if err := st.DecodeOutput(&out); err != nil {
		t.Fatalf("decode output %s: %v", st.Output, err)
	}
	return out
}

// scheduled lists the activities the instance's current execution scheduled, in order.
func scheduled(t *testing.T, id string) []string {
	t.Helper()
	st, err := rt.Client().Status(testCtx(t), id, durable.WithHistory())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range st.History {
		if e.Type == history.EventTaskScheduled {
			names = append(names, e.Name)
		}
	}
	return names
}

func TestChaining(t *testing.T) {
	t.Parallel()
	st := runToEnd(t, "Chaining", nil)
	if out := completed[string](t, st); out != "F1 -> F2 -> F3 -> F4" {
		t.Fatalf("output %q", out)
	}
	if got := scheduled(t, st.InstanceID); !slices.Equal(got, []string{"F1", "F2", "F3", "F4"}) {
		t.Fatalf("scheduled %v", got)
	}
}

func TestProcessOrderOrchestrator(t *testing.T) {
	t.Parallel()
	order := func(lines ...examples.OrderLine) examples.Order {
		return examples.Order{ID: "A-1", Customer: "Johnny Lawrence", Email: "johnny.lawrence@eaglefang.com", Lines: lines}
	}
	gi := examples.OrderLine{Product: "karate gi", Quantity: 2, PriceCents: 4_999}
	tests := []struct {
		name  string
		order examples.Order
		want  string
		steps []string
	}{
		{"processed", order(gi, examples.OrderLine{Product: "headband", Quantity: 3, PriceCents: 500}),
			examples.OrderSucceeded, []string{"ValidateOrder", "CheckInventory", "ProcessPayment", "SendConfirmationEmail"}},
		{"invalid", order(), examples.OrderFailed, []string{"ValidateOrder"}},
		{"out of stock", order(gi, examples.OrderLine{Product: "bonsai tree", Quantity: 5, PriceCents: 8_000}),
			examples.OrderFailed, []string{"ValidateOrder", "CheckInventory"}},
		{"payment declined", order(examples.OrderLine{Product: "black belt", Quantity: 10, PriceCents: 20_000}),
			examples.OrderFailed, []string{"ValidateOrder", "CheckInventory", "ProcessPayment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := runToEnd(t, "ProcessOrderOrchestrator", tt.order)
			if out := completed[string](t, st); out != tt.want {
				t.Fatalf("output %q, want %q", out, tt.want)
			}
			if got := scheduled(t, st.InstanceID); !slices.Equal(got, tt.steps) {
				t.Fatalf("scheduled %v, want %v", got, tt.steps)
			}
		})
	}
}

func TestFanOutFanInOrchestrator(t *testing.T) {
	t.Parallel()
	st := runToEnd(t, "FanOutFanInOrchestrator", nil)
	want := []string{"Task1 completed", "Task2 completed", "Task3 completed"}
	if out := completed[[]string](t, st); !slices.Equal(out, want) {
		t.Fatalf("output %q, want %q", out, want)
	}

	var tasks, want20 []string
	for i := range 20 {
		tasks = append(tasks, fmt.Sprintf("Batch%02d", i))
		want20 = append(want20, fmt.Sprintf("Batch%02d completed", i))
	}
	st = runToEnd(t, "FanOutFanInOrchestrator", tasks)
	if out := completed[[]string](t, st); !slices.Equal(out, want20) {
		t.Fatalf("output %q, want %q", out, want20)
	}
}
