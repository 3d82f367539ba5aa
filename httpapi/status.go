package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/historyjson"
)

// checkStatus is what a start answers: where to follow the instance. The field names
// are the reference's; all nine are always present.
type checkStatus struct {
	ID                    string `json:"id"`
	StatusQueryGetURI     string `json:"statusQueryGetUri"`
	SendEventPostURI      string `json:"sendEventPostUri"`
	TerminatePostURI      string `json:"terminatePostUri"`
	RewindPostURI         string `json:"rewindPostUri"`
	PurgeHistoryDeleteURI string `json:"purgeHistoryDeleteUri"`
	RestartPostURI        string `json:"restartPostUri"`
	SuspendPostURI        string `json:"suspendPostUri"`
	ResumePostURI         string `json:"resumePostUri"`
}

// checkStatusFor builds the payload for instance id. The placeholders {eventName} and
// {text} stay literal: clients substitute them, as the Durable Functions samples do.
func (a *api) checkStatusFor(r *http.Request, id string) checkStatus {
	p := origin(r) + BasePath + "/instances/" + url.PathEscape(id)
	// With a key configured the URLs carry it, so that they work when followed as given.
	plain, reason := "", "?reason={text}"
	if a.key != "" {
		plain = "?code=" + url.QueryEscape(a.key)
		reason += "&code=" + url.QueryEscape(a.key)
	}
	return checkStatus{
		ID:                    id,
		StatusQueryGetURI:     p + plain,
		SendEventPostURI:      p + "/raiseEvent/{eventName}" + plain,
		TerminatePostURI:      p + "/terminate" + reason,
		RewindPostURI:         p + "/rewind" + reason,
		PurgeHistoryDeleteURI: p + plain,
		RestartPostURI:        p + "/restart" + plain,
		SuspendPostURI:        p + "/suspend" + reason,
		ResumePostURI:         p + "/resume" + reason,
	}
}

// writeAccepted answers a started instance: 202, the payload, and where to poll.
func (a *api) writeAccepted(w http.ResponseWriter, r *http.Request, id string) {
	cs := a.checkStatusFor(r, id)
	w.Header().Set("Location", cs.StatusQueryGetURI)
	w.Header().Set("Retry-After", "10")
	writeJSON(w, http.StatusAccepted, cs)
}

// statusJSON is the instance status of the reference API. Input and output are always
// present, null when absent or hidden.
type statusJSON struct {
	Name            string          `json:"name"`
	Version         string          `json:"version,omitempty"` // absent for the unversioned code
	InstanceID      string          `json:"instanceId"`
	RuntimeStatus   string          `json:"runtimeStatus"`
	Input           json.RawMessage `json:"input"`
	CustomStatus    json.RawMessage `json:"customStatus"`
	Output          json.RawMessage `json:"output"`
	CreatedTime     string          `json:"createdTime"`
	LastUpdatedTime string          `json:"lastUpdatedTime"`
	// TraceID (ours) is the W3C trace id of the current execution's spans, when the
	// runtime traces and the history is shown (it is kept there).
	TraceID string `json:"traceId,omitempty"`
	// HistoryEvents is a pointer so that an empty history still shows as [] when asked
	// for, and the key is absent when not.
	HistoryEvents *[]historyEvent `json:"historyEvents,omitempty"`
}

type statusView struct {
	input, history, historyOutput bool
}

func toStatusJSON(st *durable.Status, v statusView) statusJSON {
	out := statusJSON{
		Name:            st.Name,
		Version:         st.Version,
		InstanceID:      st.InstanceID,
		RuntimeStatus:   st.RuntimeStatus.String(),
		CustomStatus:    rawJSON(st.CustomStatus),
		Output:          outputOf(st),
		CreatedTime:     formatTime(st.CreatedAt),
		LastUpdatedTime: formatTime(st.LastUpdatedAt),
	}
	if v.input {
		out.Input = rawJSON(st.Input)
	}
	if v.history {
		evs := projectHistory(st.History, v.input, v.historyOutput)
		out.HistoryEvents = &evs
		out.TraceID = traceID(st.History)
	}
	return out
}

// traceID returns the trace id of the traceparent ("00-TRACEID-SPANID-FLAGS") the
// history's ExecutionStarted carries.
func traceID(events []history.Event) string {
	for _, ev := range events {
		if ev.Type == history.EventExecutionStarted {
			if parts := strings.Split(ev.Trace, "-"); len(parts) == 4 && len(parts[1]) == 32 {
				return parts[1]
			}
			return ""
		}
	}
	return ""
}

// outputOf is the result when Completed, the failure details when Failed and the
// reason when Terminated; nothing otherwise, whatever the row holds meanwhile.
func outputOf(st *durable.Status) json.RawMessage {
	switch st.RuntimeStatus {
	case durable.StatusCompleted, durable.StatusTerminated:
		return rawJSON(st.Output)
	case durable.StatusFailed:
		if st.Failure != nil {
			if b, err := json.Marshal(st.Failure); err == nil {
				return b
			}
		}
		return rawJSON(st.Output)
	}
	return nil
}

// rawJSON passes stored JSON through. Stored payloads are JSON by construction; should
// one not be, it is shown as a string rather than failing the whole answer.
func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if !json.Valid(b) {
		s, _ := json.Marshal(string(b))
		return s
	}
	return b
}

// formatTime is the reference's time format: UTC, ISO 8601, whole seconds.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// formatEventTime keeps milliseconds: events of one turn share a second.
func formatEventTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// historyEvent is one entry of historyEvents.
type historyEvent = historyjson.Event

// scheduledBy pairs each completion with the scheduling event it completes; the pair
// is shown as one entry, as the reference does for tasks and sub-orchestrations. Entity
// calls and lock requests follow the same rule here.
var scheduledBy = map[history.EventType]history.EventType{
	history.EventTaskCompleted:             history.EventTaskScheduled,
	history.EventTaskFailed:                history.EventTaskScheduled,
	history.EventSubOrchestrationCompleted: history.EventSubOrchestrationCreated,
	history.EventSubOrchestrationFailed:    history.EventSubOrchestrationCreated,
	history.EventEntityOperationCompleted:  history.EventEntityOperationCalled,
	history.EventEntityOperationFailed:     history.EventEntityOperationCalled,
	history.EventEntityLockGranted:         history.EventEntityLockRequested,
}

type schedKey struct {
	t  history.EventType
	id int64
}

// projectHistory is the reference's showHistory view of an execution's history:
// OrchestratorStarted markers are dropped, each completion absorbs its scheduling
// event (FunctionName, ScheduledTime and Input move over), inputs show only with
// showInput and results only with showOutput.
func projectHistory(evs []history.Event, showInput, showOutput bool) []historyEvent {
	out := make([]historyEvent, 0, len(evs))
	absorbed := make([]bool, 0, len(evs))
	scheduled := map[schedKey]int{} // scheduling event -> its index in out
	var turn time.Time
	for _, ev := range evs {
		if ev.Type == history.EventOrchestratorStarted {
			turn = ev.Time
			continue
		}
		// Events the runtime records within a turn carry no time of their own: they
		// happened at the turn's time.
		at := ev.Time
		if at.IsZero() {
			at = turn
		}
		he := historyEvent{EventType: ev.Type.String(), Timestamp: formatEventTime(at)}
		if ev.Type.IsScheduling() {
			he.EventID = &ev.ID
		} else if _, ok := scheduledBy[ev.Type]; ok || ev.Type == history.EventTimerFired {
			he.EventID = &ev.TaskID
		}
		if showInput {
			he.Input = rawJSON(ev.Input)
		}
		switch ev.Type {
		case history.EventExecutionStarted:
			he.FunctionName, he.Version = ev.Name, ev.Version
			if p := ev.Parent; p != nil {
				he.ParentInstance = &historyjson.ParentInstance{Name: p.Name, TaskScheduleID: p.TaskID,
					OrchestrationInstance: historyjson.OrchestrationInstance{InstanceID: p.InstanceID, ExecutionID: p.ExecutionID}}
			}
		case history.EventTaskScheduled, history.EventSubOrchestrationCreated, history.EventEntityOperationCalled,
			history.EventEntityLockRequested:
			he.Name, he.InstanceID, he.Version = ev.Name, ev.InstanceID, ev.Version
			scheduled[schedKey{ev.Type, ev.ID}] = len(out)
		case history.EventTimerCreated, history.EventTimerFired:
			he.FireAt = formatEventTime(ev.FireAt)
		case history.EventEventRaised:
			he.Name = ev.Name
		case history.EventEventSent, history.EventEntityOperationSignaled, history.EventEntityUnlockSent:
			he.Name, he.InstanceID = ev.Name, ev.InstanceID
		case history.EventExecutionSuspended, history.EventExecutionResumed, history.EventExecutionRewound:
			// The reason is not the instance's input: it shows whatever showInput says.
			he.Input, he.Reason = nil, rawJSON(ev.Input)
		case history.EventExecutionCompleted:
			he.OrchestrationStatus = ev.Status.String()
			if showOutput {
				he.Result = rawJSON(ev.Result)
			}
			he.FailureDetails = ev.Failure
		}
		if st, ok := scheduledBy[ev.Type]; ok {
			if showOutput {
				he.Result = rawJSON(ev.Result)
			}
			if ev.Failure != nil {
				he.FailureDetails = ev.Failure
				he.Reason, _ = json.Marshal(ev.Failure.Message)
			}
			if i, ok := scheduled[schedKey{st, ev.TaskID}]; ok {
				s := out[i]
				he.FunctionName, he.InstanceID, he.ScheduledTime, he.Input = s.Name, s.InstanceID, s.Timestamp, s.Input
				he.Version = s.Version
				absorbed[i] = true
				delete(scheduled, schedKey{st, ev.TaskID})
			}
		}
		out = append(out, he)
		absorbed = append(absorbed, false)
	}
	kept := out[:0]
	for i, he := range out {
		if !absorbed[i] {
			kept = append(kept, he)
		}
	}
	return kept
}
