package orchestrator

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/godurable/durable/history"
)

// helloHistory records one HelloSequence5 run: the history a cold activation replays.
func helloHistory(b *testing.B) []history.Event {
	d := newDriver(&testing.T{}, hello5)
	d.activity("Hello", echo("Hello"))
	d.runToEnd(d.start("x"))
	if len(d.history) == 0 {
		b.Fatal("no history recorded")
	}
	return d.history
}

func hello5(ctx *Context, _ []byte) ([]byte, error) {
	out := make([]string, 0, 5)
	for _, city := range []string{"Tokyo", "Seattle", "London", "Paris", "Cairo"} {
		s, err := CallActivity[string](ctx, "Hello", city).Await()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return json.Marshal(out)
}

// BenchmarkReplayCold replays a whole HelloSequence5 history, as an activation after a
// restart or passivation does.
func BenchmarkReplayCold(b *testing.B) {
	hist := helloHistory(b)
	b.ReportAllocs()
	for b.Loop() {
		e := NewExecution("inst", hello5, Options{})
		e.Replay(hist)
		if e.Status() != history.StatusCompleted {
			b.Fatal(e.Status())
		}
	}
}

// BenchmarkStepWarm measures one turn of an instance kept in memory: an activity
// result in, the next activity scheduled out.
func BenchmarkStepWarm(b *testing.B) {
	loop := func(ctx *Context, _ []byte) ([]byte, error) {
		for {
			if _, err := CallActivity[string](ctx, "Hello", "x").Await(); err != nil {
				return nil, err
			}
		}
	}
	e := NewExecution("inst", loop, Options{})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := e.Step([]history.Event{{Type: history.EventOrchestratorStarted, Time: now}, {Type: history.EventExecutionStarted, Name: "loop"}})
	next := tr.Events[len(tr.Events)-1].ID
	result := []byte(`"Hello x"`)
	b.ReportAllocs()
	for b.Loop() {
		tr = e.Step([]history.Event{{Type: history.EventOrchestratorStarted, Time: now}, {Type: history.EventTaskCompleted, TaskID: next, Result: result}})
		next = tr.Events[len(tr.Events)-1].ID
	}
	e.Stop()
}
