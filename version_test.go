package durable_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
)

func init() {
	extraRegistrations = append(extraRegistrations, func(rt *durable.Runtime) {
		version := func(ctx *orchestrator.Context) (string, error) { return ctx.Version(), nil }
		must(rt.RegisterOrchestrator("VLeaf", version, durable.Version("1")))
		must(rt.RegisterOrchestrator("VLeaf", version, durable.DefaultVersion("2")))
		must(rt.RegisterOrchestrator("VOther", version))
		must(rt.RegisterOrchestrator("VOther", version, durable.DefaultVersion("3")))
		must(rt.RegisterOrchestrator("VOnly", version, durable.Version("1")))
		must(rt.RegisterOrchestrator("VParent", versionParent, durable.Version("1")))
		must(rt.RegisterOrchestrator("VParent", versionParent, durable.DefaultVersion("2")))
		must(rt.RegisterOrchestrator("VLoop", func(ctx *orchestrator.Context, seen []string) ([]string, error) {
			seen = append(seen, ctx.Version())
			switch len(seen) {
			case 1:
				return nil, ctx.ContinueAsNew(seen) // keeps version 1
			case 2:
				return nil, ctx.ContinueAsNew(seen, orchestrator.ContinueAtDefaultVersion())
			}
			return nil, errors.New("version 1 ran a third time")
		}, durable.Version("1")))
		must(rt.RegisterOrchestrator("VLoop", func(ctx *orchestrator.Context, seen []string) ([]string, error) {
			return append(seen, ctx.Version()), nil
		}, durable.DefaultVersion("2")))
	})
}

// versionParent reports its own version and its children's: VLeaf has code for
// versions 1 and 2, VOther only for its unversioned code and 3, its default.
func versionParent(ctx *orchestrator.Context) ([]string, error) {
	out := []string{ctx.Version()}
	calls := []struct {
		name string
		opts []orchestrator.CallOption
	}{
		{"VLeaf", nil},
		{"VOther", nil},
		{"VLeaf", []orchestrator.CallOption{orchestrator.WithVersion("2")}},
	}
	for _, c := range calls {
		v, err := orchestrator.CallSubOrchestrator[string](ctx, c.name, nil, c.opts...).Await()
		if err != nil {
			return nil, err
		}
		out = append(out, c.name+"@"+v)
	}
	_, err := orchestrator.CallSubOrchestrator[string](ctx, "VLeaf", nil, orchestrator.WithVersion("9")).Await()
	if err == nil || !strings.Contains(err.Error(), `no version "9"`) {
		return nil, errors.New("VLeaf at version 9 did not fail naming the version: " + errorText(err))
	}
	return out, nil
}

// runToEnd starts name on the shared runtime and waits for it to finish.
func runToEnd(t *testing.T, name string, opts ...durable.StartOption) *durable.Status {
	t.Helper()
	ctx := ctxT(t)
	id, err := rt.Client().Start(ctx, name, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Client().WaitForCompletion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func errorText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// A child runs at its parent's version where it has code for it, else at its default;
// WithVersion names one; a version with no code fails the call.
func TestSubOrchestrationsInheritTheVersion(t *testing.T) {
	cases := []struct {
		opts []durable.StartOption
		want []string
	}{
		{[]durable.StartOption{durable.WithVersion("1")}, []string{"1", "VLeaf@1", "VOther@3", "VLeaf@2"}},
		{nil, []string{"2", "VLeaf@2", "VOther@3", "VLeaf@2"}},
	}
	for _, c := range cases {
		ctx := ctxT(t)
		st := runToEnd(t, "VParent", c.opts...)
		id := st.InstanceID
		var got []string
		if st.RuntimeStatus != durable.StatusCompleted || st.DecodeOutput(&got) != nil || !slices.Equal(got, c.want) {
			t.Fatalf("%s: %s %s %+v, want output %q", id, st.RuntimeStatus, st.Output, st.Failure, c.want)
		}
		if st.Version != c.want[0] {
			t.Errorf("status version %q, want %q", st.Version, c.want[0])
		}
		child, err := rt.Client().Status(ctx, id+":1") // VOther, the second call
		if err != nil || child.Version != "3" || child.Name != "VOther" {
			t.Fatalf("child %s: %+v %v", id+":1", child, err)
		}
		st, err = rt.Client().Status(ctx, id, durable.WithHistory())
		if err != nil {
			t.Fatal(err)
		}
		var created []string
		for _, ev := range st.History {
			switch ev.Type {
			case history.EventExecutionStarted:
				if ev.Version != c.want[0] {
					t.Errorf("ExecutionStarted version %q, want %q", ev.Version, c.want[0])
				}
			case history.EventSubOrchestrationCreated:
				created = append(created, ev.Version)
			}
		}
		if want := []string{c.want[1][6:], "3", "2", "9"}; !slices.Equal(created, want) {
			t.Errorf("SubOrchestrationCreated versions %q, want %q", created, want)
		}
	}
}

// ContinueAsNew keeps the version, or moves to the default one when asked.
func TestContinueAsNewKeepsOrMovesTheVersion(t *testing.T) {
	st := runToEnd(t, "VLoop", durable.WithVersion("1"))
	var seen []string
	if st.DecodeOutput(&seen) != nil || !slices.Equal(seen, []string{"1", "1", "2"}) || st.Version != "2" {
		t.Fatalf("%s %s at version %q, want [1 1 2] at 2", st.RuntimeStatus, st.Output, st.Version)
	}
}

// A start at a version no code is registered for is refused, naming the orchestrator,
// the version and what is registered.
func TestUnknownVersionsAreRefused(t *testing.T) {
	ctx := ctxT(t)
	c := rt.Client()
	cases := []struct {
		name string
		opts []durable.StartOption
		want error
		says string
	}{
		{"VLeaf", []durable.StartOption{durable.WithVersion("9")}, durable.ErrUnknownOrchestration,
			`orchestrator "VLeaf" has no version "9" (registered: "1", "2")`},
		{"VLeaf", []durable.StartOption{durable.WithVersion("")}, durable.ErrUnknownOrchestration,
			`orchestrator "VLeaf" has no version (unversioned) (registered: "1", "2")`},
		{"VOnly", nil, durable.ErrUnknownOrchestration, `orchestrator "VOnly" has no default version`},
		{"VLeaf", []durable.StartOption{durable.WithVersion("2\n")}, durable.ErrInvalidInput, `invalid version "2\n"`},
		{"Nope", []durable.StartOption{durable.WithVersion("1")}, durable.ErrUnknownOrchestration, `"Nope" is not registered`},
	}
	for _, tc := range cases {
		_, err := c.Start(ctx, tc.name, nil, tc.opts...)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("start %s: %v; want %v saying %s", tc.name, err, tc.want, tc.says)
		}
	}
	if err := rt.RegisterOrchestrator("VBad", func(*orchestrator.Context) error { return nil }, durable.Version("1\x00")); err == nil ||
		!strings.Contains(err.Error(), `orchestrator "VBad": invalid version`) {
		t.Errorf("registering a bad version: %v", err)
	}
}

// Restart starts the orchestrator again at the instance's version, and listings show
// each instance's version.
func TestRestartAndListKeepTheVersion(t *testing.T) {
	ctx := ctxT(t)
	c := rt.Client()
	again, err := c.Restart(ctx, runToEnd(t, "VLeaf", durable.WithVersion("1")).InstanceID, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, again)
	if err != nil || st.Version != "1" || string(st.Output) != `"1"` {
		t.Fatalf("restarted %s: %+v %v", again, st, err)
	}
	page, err := c.List(ctx, durable.Query{Name: "VLeaf", IDPrefix: again})
	if err != nil || len(page.Instances) != 1 || page.Instances[0].Version != "1" {
		t.Fatalf("listing %s: %+v %v", again, page, err)
	}
}
