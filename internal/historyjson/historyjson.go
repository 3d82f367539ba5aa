// Package historyjson is one entry of an instance's history as the HTTP API shows it
// (historyEvents): httpapi writes it, and durabletest reads it back to replay a
// history saved from the API.
package historyjson

import (
	"encoding/json"

	"github.com/godurable/durable/history"
)

// Event is one entry of historyEvents, with the Durable Task field names. Only the
// fields meaningful for its EventType are set.
type Event struct {
	EventType string `json:"EventType"`
	Timestamp string `json:"Timestamp"`
	// EventId, which the reference leaves out, is the sequence number of the action
	// the entry records or completes (an activity, a timer, a child, a message): the
	// number replay matches the code's actions with, so that a saved history can be
	// replayed against changed code (durabletest.Replay).
	EventID             *int64           `json:"EventId,omitempty"`
	Name                string           `json:"Name,omitempty"`
	FunctionName        string           `json:"FunctionName,omitempty"`
	InstanceID          string           `json:"InstanceId,omitempty"`
	ScheduledTime       string           `json:"ScheduledTime,omitempty"`
	FireAt              string           `json:"FireAt,omitempty"`
	OrchestrationStatus string           `json:"OrchestrationStatus,omitempty"`
	Reason              json.RawMessage  `json:"Reason,omitempty"`
	Input               json.RawMessage  `json:"Input,omitempty"`
	Result              json.RawMessage  `json:"Result,omitempty"`
	FailureDetails      *history.Failure `json:"FailureDetails,omitempty"`
	// Version is the orchestrator version an execution runs (ExecutionStarted) or a
	// sub-orchestration was started at; absent for the unversioned code.
	Version string `json:"Version,omitempty"`
	// ParentInstance is set on the ExecutionStarted of a sub-orchestration: the
	// orchestration that started it, in the reference's shape.
	ParentInstance *ParentInstance `json:"ParentInstance,omitempty"`
}

// ParentInstance names the orchestration that started a sub-orchestration and the
// sequence number of the action that did.
type ParentInstance struct {
	Name                  string                `json:"Name,omitempty"`
	OrchestrationInstance OrchestrationInstance `json:"OrchestrationInstance"`
	TaskScheduleID        int64                 `json:"TaskScheduleId"`
}

// OrchestrationInstance is an instance id with the execution it names.
type OrchestrationInstance struct {
	InstanceID  string `json:"InstanceId"`
	ExecutionID string `json:"ExecutionId,omitempty"`
}
