package durable_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

// One runtime serves every test in the package: starting an actor cluster member
// costs about a second.
var rt *durable.Runtime

func TestMain(m *testing.M) {
	if os.Getenv(crashEnv) != "" {
		crashChild()
		return
	}
	if os.Getenv(killLoopEnv) != "" {
		killLoopChild()
		return
	}
	if name := os.Getenv(scenarioEnv); name != "" {
		scenarioChild(name)
		return
	}
	var err error
	rt, err = durable.Open(durable.Config{InMemory: true, IdleTimeout: 200 * time.Millisecond, Logger: slog.New(story),
		TracerProvider: tracing, MeterProvider: meters})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	register(rt)
	if err := rt.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	code := m.Run()
	_ = rt.Close()
	os.Exit(code)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// extraRegistrations lets other test files add to the shared runtime.
var extraRegistrations []func(*durable.Runtime)

func register(rt *durable.Runtime) {
	for _, f := range extraRegistrations {
		f(rt)
	}
	must(rt.RegisterActivity("Hello", func(_ context.Context, name string) (string, error) {
		return "Hello " + name, nil
	}))
	must(rt.RegisterActivity("Fail", func(_ context.Context, msg string) (string, error) {
		return "", errors.New(msg)
	}))
	must(rt.RegisterActivity("Panic", func(_ context.Context) error { panic("activity exploded") }))
	must(rt.RegisterOrchestrator("Hello3", func(ctx *orchestrator.Context, name string) ([]string, error) {
		var out []string
		for _, city := range []string{"Tokyo", "Seattle", name} {
			s, err := orchestrator.CallActivity[string](ctx, "Hello", city).Await()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}))
	must(rt.RegisterOrchestrator("CatchFailure", func(ctx *orchestrator.Context) (string, error) {
		_, err := orchestrator.CallActivity[string](ctx, "Fail", "bad thing").Await()
		var tf *orchestrator.TaskFailedError
		if !errors.As(err, &tf) {
			return "", fmt.Errorf("want TaskFailedError, got %v", err)
		}
		_, err = orchestrator.CallActivity[string](ctx, "Panic", nil).Await()
		if !errors.As(err, &tf) || tf.Failure.ErrorType != "panic" {
			return "", fmt.Errorf("want panic failure, got %v", err)
		}
		return "caught", nil
	}))
	must(rt.RegisterOrchestrator("WaitApproval", func(ctx *orchestrator.Context) (string, error) {
		return orchestrator.WaitForExternalEvent[string](ctx, "Approval").Await()
	}))
	must(rt.RegisterOrchestrator("Parent", func(ctx *orchestrator.Context, n int) (int, error) {
		var tasks []*orchestrator.Task[[]string]
		var all []orchestrator.Awaitable
		for i := 0; i < n; i++ {
			t := orchestrator.CallSubOrchestrator[[]string](ctx, "Hello3", fmt.Sprint(i))
			tasks, all = append(tasks, t), append(all, t)
		}
		if err := orchestrator.WhenAll(ctx, all...); err != nil {
			return 0, err
		}
		total := 0
		for _, t := range tasks {
			v, _ := t.Await()
			total += len(v)
		}
		return total, nil
	}))
	must(rt.RegisterOrchestrator("LongSleeper", func(ctx *orchestrator.Context) (string, error) {
		if err := ctx.CreateTimer(700 * time.Millisecond).Await(); err != nil {
			return "", err
		}
		return "woke", nil
	}))
	must(rt.RegisterOrchestrator("Sleeper", func(ctx *orchestrator.Context) (string, error) {
		if err := ctx.CreateTimer(50 * time.Millisecond).Await(); err != nil {
			return "", err
		}
		return "woke", nil
	}))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestHello3(t *testing.T) {
	ctx := ctxT(t)
	c := rt.Client()
	id, err := c.Start(ctx, "Hello3", "London")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := st.DecodeOutput(&out); err != nil {
		t.Fatal(err)
	}
	if st.RuntimeStatus != durable.StatusCompleted || strings.Join(out, ",") != "Hello Tokyo,Hello Seattle,Hello London" {
		t.Fatalf("%v %v", st.RuntimeStatus, out)
	}
}

func TestActivityFailuresAreCatchable(t *testing.T) {
	ctx := ctxT(t)
	c := rt.Client()
	id, err := c.Start(ctx, "CatchFailure", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(st.Output) != `"caught"` {
		t.Fatalf("%v %s %+v", st.RuntimeStatus, st.Output, st.Failure)
	}
}

func TestExternalEvent(t *testing.T) {
	ctx := ctxT(t)
	c := rt.Client()
	id, err := c.Start(ctx, "WaitApproval", nil, durable.WithInstanceID("approval-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(ctx, "WaitApproval", nil, durable.WithInstanceID("approval-1")); !errors.Is(err, durable.ErrInstanceExists) {
		t.Fatalf("second start: %v", err)
	}
	if err := c.RaiseEvent(ctx, id, "approval", "yes"); err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(st.Output) != `"yes"` {
		t.Fatalf("%s", st.Output)
	}
	if err := c.RaiseEvent(ctx, id, "approval", "again"); !errors.Is(err, durable.ErrInstanceFinished) {
		t.Fatalf("raise after completion: %v", err)
	}
	if err := c.RaiseEvent(ctx, "no-such-instance", "approval", "x"); !errors.Is(err, durable.ErrInstanceNotFound) {
		t.Fatalf("raise to unknown: %v", err)
	}
}

func TestSubOrchestrations(t *testing.T) {
	ctx := ctxT(t)
	c := rt.Client()
	id, err := c.Start(ctx, "Parent", 5)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(st.Output) != "15" {
		t.Fatalf("%v %s %+v", st.RuntimeStatus, st.Output, st.Failure)
	}
	child, err := c.Status(ctx, id+":0")
	if err != nil || child.RuntimeStatus != durable.StatusCompleted {
		t.Fatalf("child: %v %+v", err, child)
	}
}

func TestDurableTimer(t *testing.T) {
	ctx := ctxT(t)
	c := rt.Client()
	id, err := c.Start(ctx, "Sleeper", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(st.Output) != `"woke"` {
		t.Fatalf("%v %s", st.RuntimeStatus, st.Output)
	}
}

func TestUnknownOrchestration(t *testing.T) {
	_, err := rt.Client().Start(ctxT(t), "Nope", nil)
	if !errors.Is(err, durable.ErrUnknownOrchestration) {
		t.Fatalf("%v", err)
	}
}
