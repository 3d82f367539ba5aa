package durable_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

// insufficientFunds declares the type its failures are recorded with.
type insufficientFunds struct{ short int }

func (e insufficientFunds) Error() string   { return fmt.Sprintf("%d short", e.short) }
func (insufficientFunds) ErrorType() string { return "InsufficientFunds" }

func init() {
	extraRegistrations = append(extraRegistrations, func(rt *durable.Runtime) {
		must(rt.RegisterOrchestrator("FailPlain", func(*orchestrator.Context) (string, error) {
			return "", errors.New("nope")
		}))
		must(rt.RegisterOrchestrator("FailDeclared", func(*orchestrator.Context) (string, error) {
			return "", fmt.Errorf("charging: %w", insufficientFunds{short: 5})
		}))
		must(rt.RegisterOrchestrator("FailOnActivityPanic", func(ctx *orchestrator.Context) (string, error) {
			return orchestrator.CallActivity[string](ctx, "Panic", nil).Await()
		}))
		must(rt.RegisterOrchestrator("PanicOrchestrator", func(*orchestrator.Context) (string, error) {
			panic("orchestrator exploded")
		}))
	})
}

// Failures say what went wrong in terms a reader can branch on: never
// "*errors.errorString", the type an error declares, and a panic's stack.
func TestFailuresNameMeaningfulTypes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := rt.Client()
	failure := func(name string) *durable.Failure {
		t.Helper()
		id, err := c.Start(ctx, name, nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil || st.RuntimeStatus != durable.StatusFailed || st.Failure == nil {
			t.Fatalf("%s: %+v, %v; want Failed", name, st, err)
		}
		return st.Failure
	}
	if f := failure("FailPlain"); f.ErrorType != "Error" || f.Message != "nope" {
		t.Errorf("errors.New: %+v", f)
	}
	if f := failure("FailDeclared"); f.ErrorType != "InsufficientFunds" || f.Message != "charging: 5 short" {
		t.Errorf("a declared type: %+v", f)
	}
	f := failure("FailOnActivityPanic")
	if f.ErrorType != "*orchestrator.TaskFailedError" || f.Inner == nil || f.Inner.ErrorType != "panic" ||
		!strings.Contains(f.Inner.Stack, "e2e_test.go") {
		t.Errorf("an activity's panic, returned: %+v inner %+v", f, f.Inner)
	}
	if f := failure("PanicOrchestrator"); f.ErrorType != "panic" || !strings.Contains(f.Stack, "failure_test.go") {
		t.Errorf("an orchestrator's panic: %+v", f)
	}
}
