package httpapi

import (
	"testing"
	"time"

	"github.com/godurable/durable/history"
)

// A fan-out's completions arrive in any order, so a saved history needs the sequence
// number of each task to be replayed: every entry about an action carries it.
func TestHistoryEntriesCarryTheirActionsSequenceNumber(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	evs := []history.Event{
		{Type: history.EventOrchestratorStarted, Time: at},
		{Type: history.EventExecutionStarted, Name: "FanOut"},
		{Type: history.EventTaskScheduled, ID: 0, Name: "A"},
		{Type: history.EventTaskScheduled, ID: 1, Name: "B"},
		{Type: history.EventTimerCreated, ID: 2, FireAt: at.Add(time.Hour)},
		{Type: history.EventOrchestratorStarted, Time: at},
		{Type: history.EventTaskCompleted, TaskID: 1},
		{Type: history.EventTimerFired, TaskID: 2, FireAt: at.Add(time.Hour)},
	}
	got := projectHistory(evs, true, true)
	want := []struct {
		typ  string
		id   int64 // -1: none
		name string
	}{
		{"ExecutionStarted", -1, "FanOut"},
		{"TaskScheduled", 0, "A"},
		{"TimerCreated", 2, ""},
		{"TaskCompleted", 1, "B"},
		{"TimerFired", 2, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		switch {
		case g.EventType != w.typ || g.FunctionName+g.Name != w.name:
			t.Errorf("entry %d is %s %q, want %s %q", i, g.EventType, g.FunctionName+g.Name, w.typ, w.name)
		case w.id < 0 && g.EventID != nil:
			t.Errorf("entry %d (%s) has EventId %d, want none", i, g.EventType, *g.EventID)
		case w.id >= 0 && (g.EventID == nil || *g.EventID != w.id):
			t.Errorf("entry %d (%s) has EventId %v, want %d", i, g.EventType, g.EventID, w.id)
		}
	}
}
