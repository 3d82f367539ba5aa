package orchestrator

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/godurable/durable/history"
)

// driver plays the runtime for engine tests: it runs activities inline, fires timers
// in order and, when cold is set, replays the whole history before every turn, which
// proves replay reaches the same state as the live run.
type driver struct {
	t          *testing.T
	fn         Func
	activities map[string]func([]byte) ([]byte, error)
	history    []history.Event
	exec       *Execution
	now        time.Time
	cold       bool
	calls      map[string]int
	last       Turn
}

func newDriver(t *testing.T, fn Func) *driver {
	return &driver{t: t, fn: fn, activities: map[string]func([]byte) ([]byte, error){},
		now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), calls: map[string]int{}}
}

func (d *driver) activity(name string, f func([]byte) ([]byte, error)) { d.activities[name] = f }

// turn feeds events (after an OrchestratorStarted) and records what the turn added.
func (d *driver) turn(evs ...history.Event) Turn {
	if d.exec == nil || d.cold {
		if d.exec != nil {
			d.exec.Stop()
		}
		d.exec = NewExecution("inst", d.fn, Options{MaxPayloadBytes: 1 << 20})
		d.exec.Replay(d.history)
	}
	d.now = d.now.Add(time.Millisecond)
	in := append([]history.Event{{Type: history.EventOrchestratorStarted, Time: d.now}}, evs...)
	tr := d.exec.Step(in)
	d.history = append(d.history, tr.Events...)
	d.last = tr
	return tr
}

func (d *driver) start(input any) Turn {
	b, _ := json.Marshal(input)
	return d.turn(history.Event{Type: history.EventExecutionStarted, Name: "test", Input: b})
}

// runToEnd executes scheduled activities and fires timers until nothing is left.
func (d *driver) runToEnd(tr Turn) Turn {
	for i := 0; i < 10000; i++ {
		var next []history.Event
		for _, ev := range tr.Events {
			if ev.Type == history.EventTaskScheduled {
				next = append(next, d.runActivity(ev))
			}
		}
		if len(next) == 0 {
			fire, ok := d.nextTimer()
			if !ok {
				return tr
			}
			next = append(next, fire)
		}
		tr = d.turn(next...)
	}
	d.t.Fatal("did not settle")
	return tr
}

func (d *driver) runActivity(ev history.Event) history.Event {
	d.calls[ev.Name]++
	f, ok := d.activities[ev.Name]
	if !ok {
		return history.Event{Type: history.EventTaskFailed, TaskID: ev.ID, Failure: &history.Failure{Message: "unknown activity " + ev.Name, NonRetriable: true}}
	}
	out, err := f(ev.Input)
	if err != nil {
		return history.Event{Type: history.EventTaskFailed, TaskID: ev.ID, Failure: FailureOf(err)}
	}
	return history.Event{Type: history.EventTaskCompleted, TaskID: ev.ID, Result: out}
}

// nextTimer returns the earliest armed timer that has not fired and was not
// cancelled, advancing the clock to it.
func (d *driver) nextTimer() (history.Event, bool) {
	fired := map[int64]bool{}
	for _, ev := range d.history {
		if ev.Type == history.EventTimerFired {
			fired[ev.TaskID] = true
		}
	}
	var best *history.Event
	for i, ev := range d.history {
		if ev.Type == history.EventTimerCreated && !fired[ev.ID] && !d.isCancelled(ev.ID) {
			if best == nil || ev.FireAt.Before(best.FireAt) {
				best = &d.history[i]
			}
		}
	}
	if best == nil {
		return history.Event{}, false
	}
	if best.FireAt.After(d.now) {
		d.now = best.FireAt
	}
	return history.Event{Type: history.EventTimerFired, TaskID: best.ID, FireAt: best.FireAt}, true
}

func (d *driver) isCancelled(id int64) bool {
	_, open := d.exec.open[id]
	return !open
}

func echo(prefix string) func([]byte) ([]byte, error) {
	return func(in []byte) ([]byte, error) {
		var s string
		_ = json.Unmarshal(in, &s)
		return json.Marshal(fmt.Sprintf("%s(%s)", prefix, s))
	}
}
