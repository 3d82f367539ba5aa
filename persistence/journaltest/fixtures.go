package journaltest

import (
	"fmt"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// base is a fixed instant with nanoseconds and a zone, so that round trips which lose
// precision or mangle instants show up.
var base = time.Date(2031, 3, 4, 5, 6, 7, 890123456, time.FixedZone("UTC+2", 2*3600))

func at(d time.Duration) time.Time { return base.Add(d) }

func row(id, name string, status history.RuntimeStatus) *persistence.Instance {
	return &persistence.Instance{
		ID:           id,
		Name:         name,
		ExecutionID:  "exec-" + id,
		Status:       status,
		CreatedAt:    base,
		UpdatedAt:    at(time.Second),
		CustomStatus: []byte(`{"step":1}`),
	}
}

// fullRow sets every field a caller may set, including ones the journal must ignore.
func fullRow(id string) *persistence.Instance {
	r := row(id, "Orchestrator", history.StatusFailed)
	r.Failure = &history.Failure{
		ErrorType: "*errors.errorString", Message: "outer", Stack: "main.go:1",
		Inner: &history.Failure{Message: "inner", NonRetriable: true},
	}
	r.Parent = &history.ParentRef{InstanceID: "parent", ExecutionID: "px", TaskID: 7, Name: "Parent"}
	r.OrchestrationVersion = "2.1"
	r.Input, r.Output = []byte(`"ignored in"`), []byte(`"ignored out"`)
	r.Version, r.HistoryLen = 99, 99
	return r
}

// fullEvents uses every field of Event at least once.
func fullEvents(id string) []history.Event {
	return []history.Event{
		{Type: history.EventExecutionStarted, Time: base, Name: "Orchestrator", InstanceID: id,
			ExecutionID: "x1", Input: []byte(`{"a":1}`), Version: "2.1",
			Parent: &history.ParentRef{InstanceID: "parent", ExecutionID: "px", TaskID: 3, Name: "P"}},
		{Type: history.EventOrchestratorStarted, Time: at(time.Millisecond)},
		{Type: history.EventTaskScheduled, Time: at(2 * time.Millisecond), ID: 1, Name: "Activity", Input: []byte(`[1,2]`)},
		{Type: history.EventTimerCreated, Time: at(3 * time.Millisecond), ID: 2, FireAt: at(time.Hour)},
		{Type: history.EventTaskFailed, Time: at(4 * time.Millisecond), TaskID: 1,
			Failure: &history.Failure{ErrorType: "panic", Message: "boom", Stack: "stack",
				Inner: &history.Failure{Message: "cause"}, NonRetriable: true}},
		{Type: history.EventTaskCompleted, Time: at(5 * time.Millisecond), TaskID: 1, Result: []byte(`"ok"`)},
		{Type: history.EventExecutionCompleted, Time: at(6 * time.Millisecond), Status: history.StatusCompleted,
			Result: []byte(`{"done":true}`)},
	}
}

// events returns n small events whose IDs run from first.
func events(first, n int) []history.Event {
	out := make([]history.Event, n)
	for i := range out {
		id := int64(first + i)
		out[i] = history.Event{
			Type: history.EventTaskScheduled, Time: at(time.Duration(id) * time.Millisecond),
			ID: id, Name: "Activity", Input: fmt.Appendf(nil, `{"n":%d}`, id),
		}
	}
	return out
}

func create(id string, evs ...history.Event) *persistence.Batch {
	return &persistence.Batch{InstanceID: id, Instance: row(id, "Orchestrator", history.StatusRunning), Events: evs}
}

func ptr[T any](v T) *T { return &v }

func eventIDs(evs []history.Event) []int64 {
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

func seq(first, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(first + i)
	}
	return out
}
