package durabletest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/historyjson"
)

// apiEvent is one entry of the HTTP API's historyEvents.
type apiEvent = historyjson.Event

// The HTTP API shows a history as Durable Functions does: without the
// OrchestratorStarted event that opens each turn, and with each scheduling event
// folded into the entry of the completion that answers it (which keeps its name, input
// and ScheduledTime). rebuild puts them back:
//   - a turn opens wherever the time moves on (every event of a turn has the turn's
//     time; turns in the same millisecond become one, which replays the same);
//   - a folded scheduling event goes back, in sequence order, before the first entry
//     that needs it: its completion, a later action, or the next turn. Replay matches
//     actions by their sequence numbers, so the order they come back in is the order
//     the code took them in.
func rebuild(entries []apiEvent) ([]history.Event, error) {
	folded, err := foldedActions(entries)
	if err != nil {
		return nil, err
	}
	r := &rebuilder{folded: folded}
	for i, en := range entries {
		if err := r.add(en); err != nil {
			return nil, fmt.Errorf("history entry %d (%s): %w", i, en.EventType, err)
		}
	}
	r.flush(func(history.Event) bool { return true })
	return r.out, nil
}

type rebuilder struct {
	out    []history.Event
	folded []history.Event // not yet put back, in sequence order
	turn   time.Time
}

// flush puts back the folded actions that must come before what follows.
func (r *rebuilder) flush(before func(history.Event) bool) {
	n := 0
	for n < len(r.folded) && before(r.folded[n]) {
		n++
	}
	r.out = append(r.out, r.folded[:n]...)
	r.folded = r.folded[n:]
}

func (r *rebuilder) add(en apiEvent) error {
	typ, ok := eventTypes[en.EventType]
	if !ok {
		return fmt.Errorf("unknown EventType %q", en.EventType)
	}
	at, err := parseTime(en.Timestamp, "Timestamp")
	if err != nil {
		return err
	}
	if len(r.out) == 0 || at.After(r.turn) {
		r.flush(func(a history.Event) bool { return a.Time.Before(at) })
		r.turn = at
		r.out = append(r.out, history.Event{Type: history.EventOrchestratorStarted, Time: at})
	}
	ev := history.Event{Type: typ, Name: en.Name, InstanceID: en.InstanceID, Input: raw(en.Input),
		Result: raw(en.Result), Failure: en.FailureDetails}
	if en.FireAt != "" {
		if ev.FireAt, err = parseTime(en.FireAt, "FireAt"); err != nil {
			return err
		}
	}
	_, answers := completes[typ]
	switch {
	case typ.IsScheduling() || answers:
		if en.EventID == nil {
			return errNoEventID
		}
		id := *en.EventID
		if answers {
			ev.TaskID = id
			r.flush(func(a history.Event) bool { return a.ID <= id })
		} else {
			ev.ID, ev.Time = id, at
			r.flush(func(a history.Event) bool { return a.ID < id })
		}
		if answers && typ != history.EventTimerFired {
			ev.Name, ev.InstanceID, ev.Input = "", "", nil // they belong to the folded action
		}
	case typ == history.EventExecutionStarted:
		ev.Name, ev.Version = en.FunctionName, en.Version
	case typ == history.EventExecutionCompleted:
		r.flush(func(history.Event) bool { return true })
		if ev.Status, err = history.ParseRuntimeStatus(en.OrchestrationStatus); err != nil {
			return err
		}
	case typ == history.EventExecutionTerminated || typ == history.EventExecutionSuspended ||
		typ == history.EventExecutionResumed || typ == history.EventExecutionRewound:
		ev.Input = raw(en.Reason)
	}
	r.out = append(r.out, ev)
	return nil
}

var errNoEventID = fmt.Errorf("no EventId, which replay needs to match actions: " +
	"save the status again from this version's HTTP API (showHistory=true&showHistoryOutput=true)")

// foldedActions returns the scheduling events the completions' entries fold in, in
// sequence order.
func foldedActions(entries []apiEvent) ([]history.Event, error) {
	var folded []history.Event
	for i, en := range entries {
		typ := eventTypes[en.EventType]
		sched, ok := completes[typ]
		if !ok || typ == history.EventTimerFired { // timers are not folded
			continue
		}
		if en.EventID == nil {
			return nil, fmt.Errorf("history entry %d (%s): %w", i, en.EventType, errNoEventID)
		}
		at, err := parseTime(en.ScheduledTime, "ScheduledTime")
		if err != nil {
			return nil, fmt.Errorf("history entry %d (%s): %w", i, en.EventType, err)
		}
		folded = append(folded, history.Event{Type: sched, ID: *en.EventID, Time: at, Name: en.FunctionName,
			InstanceID: en.InstanceID, Input: raw(en.Input), Version: en.Version})
	}
	slices.SortFunc(folded, func(a, b history.Event) int { return cmp.Compare(a.ID, b.ID) })
	return folded, nil
}

// eventTypes maps the names the HTTP API shows to event types.
var eventTypes = func() map[string]history.EventType {
	m := map[string]history.EventType{}
	for t := history.EventType(1); t.String() != "Unknown"; t++ {
		m[t.String()] = t
	}
	return m
}()

func parseTime(s, field string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not a time", field, s)
	}
	return t, nil
}

// raw keeps JSON as history stores it: absent stays nil.
func raw(b json.RawMessage) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
