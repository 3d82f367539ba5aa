package orchestrator

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/godurable/durable/history"
)

var update = flag.Bool("update", false, "rewrite the golden histories under testdata/")

// goldenOrchestrators are recorded into testdata/good; every one must replay cleanly.
var goldenOrchestrators = map[string]Func{
	"chain": chain,
	"fanout": func(ctx *Context, _ []byte) ([]byte, error) {
		a := CallActivity[string](ctx, "F1", "a")
		b := CallActivity[string](ctx, "F2", "b")
		if err := WhenAll(ctx, a, b); err != nil {
			return nil, err
		}
		x, _ := a.Await()
		y, _ := b.Await()
		return CallActivity[json.RawMessage](ctx, "F3", x+y).Await()
	},
	"timer-race": func(ctx *Context, _ []byte) ([]byte, error) {
		timer := ctx.CreateTimer(time.Hour)
		work := CallActivity[string](ctx, "F1", "w")
		if WhenAny(ctx, timer, work) == work {
			timer.Cancel()
		}
		return CallActivity[json.RawMessage](ctx, "F2", "after").Await()
	},
}

// badVariants change the code behind a recorded history; each must be caught.
var badVariants = map[string]struct {
	history string
	fn      Func
}{
	"renamed-activity": {"chain", func(ctx *Context, _ []byte) ([]byte, error) {
		s, _ := CallActivity[string](ctx, "F1", "x").Await()
		s, _ = CallActivity[string](ctx, "G2", s).Await()
		return CallActivity[json.RawMessage](ctx, "F3", s).Await()
	}},
	"removed-step": {"chain", func(ctx *Context, _ []byte) ([]byte, error) {
		s, _ := CallActivity[string](ctx, "F1", "x").Await()
		return []byte(`"` + s + `"`), nil
	}},
	"inserted-step": {"chain", func(ctx *Context, _ []byte) ([]byte, error) {
		s, _ := CallActivity[string](ctx, "F1", "x").Await()
		s, _ = CallActivity[string](ctx, "Audit", s).Await()
		s, _ = CallActivity[string](ctx, "F2", s).Await()
		return CallActivity[json.RawMessage](ctx, "F3", s).Await()
	}},
	"timer-instead-of-activity": {"chain", func(ctx *Context, _ []byte) ([]byte, error) {
		_ = ctx.CreateTimer(time.Minute).Await()
		return nil, nil
	}},
	"extra-parallel-call": {"fanout", func(ctx *Context, _ []byte) ([]byte, error) {
		a := CallActivity[string](ctx, "F1", "a")
		b := CallActivity[string](ctx, "F2", "b")
		c := CallActivity[string](ctx, "F2", "c")
		return nil, WhenAll(ctx, a, b, c)
	}},
}

func goldenPath(kind, name string) string { return filepath.Join("testdata", kind, name+".json") }

func recordGolden(t *testing.T, name string, fn Func) []history.Event {
	d := newDriver(t, fn)
	for _, n := range []string{"F1", "F2", "F3"} {
		d.activity(n, echo(n))
	}
	tr := d.runToEnd(d.start("x"))
	if tr.Status != history.StatusCompleted {
		t.Fatalf("%s: recording ended %v %+v", name, tr.Status, tr.Failure)
	}
	return d.history
}

func TestGoldenHistoriesReplay(t *testing.T) {
	for name, fn := range goldenOrchestrators {
		t.Run(name, func(t *testing.T) {
			path := goldenPath("good", name)
			if *update {
				writeJSON(t, path, recordGolden(t, name, fn))
			}
			var hist []history.Event
			readJSON(t, path, &hist)
			e := NewExecution("inst", fn, Options{})
			e.Replay(hist)
			if e.Status() != history.StatusCompleted {
				t.Fatalf("replay ended %v %+v", e.Status(), e.failure)
			}
		})
	}
}

type badCase struct {
	History string `json:"history"`
	Error   string `json:"error"`
	Step    int64  `json:"step"`
}

func TestGoldenNonDeterminism(t *testing.T) {
	for name, v := range badVariants {
		t.Run(name, func(t *testing.T) {
			var hist []history.Event
			readJSON(t, goldenPath("good", v.history), &hist)
			e := NewExecution("inst", v.fn, Options{})
			e.Replay(hist)
			var nd *NonDeterminismError
			if !errors.As(e.fnErr, &nd) {
				t.Fatalf("replay was not refused: status %v, error %v", e.Status(), e.fnErr)
			}
			// The failure is recorded by the next turn.
			tr := e.Step([]history.Event{{Type: history.EventOrchestratorStarted}})
			last := tr.Events[len(tr.Events)-1]
			if tr.Status != history.StatusFailed || last.Type != history.EventExecutionCompleted || last.Failure.ErrorType != "*orchestrator.NonDeterminismError" {
				t.Fatalf("turn after refusal: %v %+v", tr.Status, tr.Events)
			}
			path := goldenPath("bad", name)
			if *update {
				writeJSON(t, path, badCase{History: v.history, Error: nd.Error(), Step: nd.Step})
			}
			var want badCase
			readJSON(t, path, &want)
			if nd.Error() != want.Error || nd.Step != want.Step {
				t.Fatalf("got %q (step %d), want %q (step %d)", nd.Error(), nd.Step, want.Error, want.Step)
			}
		})
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to record)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
