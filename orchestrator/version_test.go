package orchestrator

import (
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable/history"
)

// fakeVersions is a registry of versions: code registered by name and version, and
// each name's default.
type fakeVersions struct {
	code     map[string][]string
	defaults map[string]string
}

func (f fakeVersions) HasVersion(name, version string) bool {
	for _, v := range f.code[name] {
		if v == version {
			return true
		}
	}
	return false
}

func (f fakeVersions) DefaultVersion(name string) string { return f.defaults[name] }

var registered = fakeVersions{
	code:     map[string][]string{"Leaf": {"1", "2"}, "Other": {"", "3"}, "Loop": {"1", "2"}},
	defaults: map[string]string{"Leaf": "2", "Other": "3", "Loop": "2"},
}

// startAt runs fn's first turn as an execution of version version of name.
func startAt(t *testing.T, fn Func, name, version string, vs Versions) Turn {
	t.Helper()
	e := NewExecution("inst", fn, Options{Versions: vs})
	t.Cleanup(e.Stop)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return e.Step([]history.Event{
		{Type: history.EventOrchestratorStarted, Time: at},
		{Type: history.EventExecutionStarted, Time: at, Name: name, ExecutionID: "x1", Version: version},
	})
}

// A sub-orchestration runs at its parent's version where the child has code for it,
// at the child's default where it has not, and at the version WithVersion names.
func TestSubOrchestrationVersion(t *testing.T) {
	cases := []struct {
		name   string
		parent string
		child  string
		opts   []CallOption
		vs     Versions
		want   string
	}{
		{"inherits the parent's version", "1", "Leaf", nil, registered, "1"},
		{"child without the parent's version runs its default", "1", "Other", nil, registered, "3"},
		{"unversioned parent, child with unversioned code", "", "Other", nil, registered, ""},
		{"unversioned parent, child without it", "", "Leaf", nil, registered, "2"},
		{"WithVersion wins", "1", "Leaf", []CallOption{WithVersion("2")}, registered, "2"},
		{"WithVersion of the unversioned code", "1", "Other", []CallOption{WithVersion("")}, registered, ""},
		{"no registry to ask: the parent's", "7", "Leaf", nil, nil, "7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := startAt(t, func(ctx *Context, _ []byte) ([]byte, error) {
				CallSubOrchestrator[string](ctx, c.child, nil, c.opts...)
				return nil, nil
			}, "Parent", c.parent, c.vs)
			var got []string
			for _, ev := range tr.Events {
				if ev.Type == history.EventSubOrchestrationCreated {
					got = append(got, ev.Version)
				}
			}
			if len(got) != 1 || got[0] != c.want {
				t.Fatalf("SubOrchestrationCreated versions %q, want [%q]", got, c.want)
			}
		})
	}
}

func TestSubOrchestrationWithABadVersionFailsTheCall(t *testing.T) {
	var err error
	startAt(t, func(ctx *Context, _ []byte) ([]byte, error) {
		_, err = CallSubOrchestrator[string](ctx, "Leaf", nil, WithVersion("1\n")).Await()
		return nil, nil
	}, "Parent", "1", registered)
	if err == nil || !strings.Contains(err.Error(), `invalid version "1\n"`) {
		t.Fatalf("err = %v, want an invalid version error", err)
	}
}

// The code sees the version it was started at, and ContinueAsNew keeps it or moves
// to the version its option names.
func TestVersionAndContinueAsNew(t *testing.T) {
	cases := []struct {
		name    string
		opts    []ContinueAsNewOption
		want    string
		wantErr string
	}{
		{"keeps the version", nil, "1", ""},
		{"moves to a version", []ContinueAsNewOption{ContinueAtVersion("2")}, "2", ""},
		{"moves to the default", []ContinueAsNewOption{ContinueAtDefaultVersion()}, "2", ""},
		{"the last option wins", []ContinueAsNewOption{ContinueAtDefaultVersion(), ContinueAtVersion("1")}, "1", ""},
		{"unknown version", []ContinueAsNewOption{ContinueAtVersion("9")}, "", `orchestrator "Loop" has no version "9"`},
		{"unversioned code not registered", []ContinueAsNewOption{ContinueAtVersion("")}, "", `orchestrator "Loop" has no version (unversioned)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var seen string
			tr := startAt(t, func(ctx *Context, _ []byte) ([]byte, error) {
				seen = ctx.Version()
				return nil, ctx.ContinueAsNew(2, c.opts...)
			}, "Loop", "1", registered)
			if seen != "1" {
				t.Errorf("ctx.Version() = %q, want %q", seen, "1")
			}
			if c.wantErr != "" {
				if tr.Status != history.StatusFailed || !strings.Contains(tr.Failure.Message, c.wantErr) {
					t.Fatalf("status %s, failure %+v; want Failed with %q", tr.Status, tr.Failure, c.wantErr)
				}
				return
			}
			if tr.ContinueAsNew == nil || tr.ContinueAsNew.Version != c.want {
				t.Fatalf("continue as new %+v, want version %q", tr.ContinueAsNew, c.want)
			}
		})
	}
}

// Replay gives the code the version its history was started at.
func TestVersionOnReplay(t *testing.T) {
	var seen []string
	fn := func(ctx *Context, _ []byte) ([]byte, error) {
		seen = append(seen, ctx.Version())
		_, err := CallActivity[string](ctx, "A", nil).Await()
		return nil, err
	}
	first := startAt(t, fn, "Parent", "1.2", nil)
	e := NewExecution("inst", fn, Options{})
	defer e.Stop()
	e.Replay(first.Events)
	if len(seen) != 2 || seen[1] != "1.2" {
		t.Fatalf("versions seen live and on replay: %q", seen)
	}
}
