package durabletest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/godurable/durable/history"
)

// decodeSaved reads a saved history in any of the forms Replay takes, and returns the
// instance's id ("" when the form does not say) and its events.
func decodeSaved(saved []byte) (string, []history.Event, error) {
	saved = bytes.TrimSpace(saved)
	var (
		id     string
		events []history.Event
		err    error
	)
	switch {
	case len(saved) == 0:
		return "", nil, errors.New("durabletest: the saved history is empty")
	case saved[0] == '[':
		err = json.Unmarshal(saved, &events)
	case saved[0] == '{':
		id, events, err = decodeStatus(saved)
	default:
		return "", nil, errors.New("durabletest: the saved history is not a JSON object or array")
	}
	if err != nil {
		return "", nil, fmt.Errorf("durabletest: read the saved history: %w", err)
	}
	if len(events) == 0 {
		return "", nil, errors.New("durabletest: the saved history has no events (an HTTP status needs showHistory=true)")
	}
	if id == "" {
		id = startedInstance(events)
	}
	return id, events, nil
}

// decodeStatus reads a status: the HTTP API's (historyEvents) or a durable.Status's
// JSON (History).
func decodeStatus(saved []byte) (string, []history.Event, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(saved, &fields); err != nil {
		return "", nil, err
	}
	if _, ok := fields["historyEvents"]; ok {
		var st apiStatus
		if err := json.Unmarshal(saved, &st); err != nil {
			return "", nil, err
		}
		events, err := rebuild(st.HistoryEvents)
		if err == nil {
			err = st.checkComplete()
		}
		return st.InstanceID, events, err
	}
	var st struct {
		InstanceID string
		History    []history.Event
	}
	if err := json.Unmarshal(saved, &st); err != nil {
		return "", nil, err
	}
	if st.History == nil {
		return "", nil, errors.New("it has neither historyEvents (the HTTP API's status) nor History (a durable.Status)")
	}
	return st.InstanceID, st.History, nil
}

// startedInstance returns the instance id ExecutionStarted records.
func startedInstance(events []history.Event) string {
	for _, ev := range events {
		if ev.Type == history.EventExecutionStarted && ev.InstanceID != "" {
			return ev.InstanceID
		}
	}
	return "replay"
}

// apiStatus is what Replay reads of the HTTP API's instance status.
type apiStatus struct {
	InstanceID    string          `json:"instanceId"`
	RuntimeStatus string          `json:"runtimeStatus"`
	Output        json.RawMessage `json:"output"`
	HistoryEvents []apiEvent      `json:"historyEvents"`
}

// checkComplete refuses a status saved without the results of its history: replay
// would hand the code empty results, and report changes that are not there.
func (st *apiStatus) checkComplete() error {
	if !strings.EqualFold(st.RuntimeStatus, history.StatusCompleted.String()) || isNull(st.Output) {
		return nil
	}
	for _, e := range st.HistoryEvents {
		if e.EventType == history.EventExecutionCompleted.String() && isNull(e.Result) {
			return errors.New("its history has no results: save the status with showHistoryOutput=true")
		}
	}
	return nil
}

func isNull(b json.RawMessage) bool {
	return len(b) == 0 || string(b) == "null"
}
