package durable

import (
	"encoding/json"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// RuntimeStatus is the lifecycle state of an instance.
type RuntimeStatus = history.RuntimeStatus

// The runtime statuses.
const (
	StatusPending        = history.StatusPending
	StatusRunning        = history.StatusRunning
	StatusCompleted      = history.StatusCompleted
	StatusContinuedAsNew = history.StatusContinuedAsNew
	StatusFailed         = history.StatusFailed
	StatusCanceled       = history.StatusCanceled
	StatusTerminated     = history.StatusTerminated
	StatusSuspended      = history.StatusSuspended
)

// Failure describes why an instance, activity or sub-orchestration failed.
type Failure = history.Failure

// Status is a snapshot of an instance, as last committed.
type Status struct {
	InstanceID string
	Name       string
	// Version is the version of the orchestrator the instance runs; empty for the
	// unversioned code.
	Version       string
	RuntimeStatus RuntimeStatus
	// Input, Output and CustomStatus are JSON. Output holds the result when
	// Completed and the reason when Terminated.
	Input, Output, CustomStatus json.RawMessage
	// Failure is set when the instance Failed.
	Failure       *Failure
	CreatedAt     time.Time
	LastUpdatedAt time.Time
	// History is set when asked for with WithHistory.
	History []history.Event
}

// DecodeOutput decodes the instance's output into v.
func (s *Status) DecodeOutput(v any) error { return json.Unmarshal(s.Output, v) }

func statusOf(row *persistence.Instance, hist []history.Event) *Status {
	s := &Status{
		InstanceID: row.ID, Name: row.Name, Version: row.OrchestrationVersion, RuntimeStatus: row.Status,
		Input: nullable(row.Input), Output: nullable(row.Output), CustomStatus: nullable(row.CustomStatus),
		Failure: row.Failure, CreatedAt: row.CreatedAt, LastUpdatedAt: row.UpdatedAt, History: hist,
	}
	if s.LastUpdatedAt.IsZero() {
		s.LastUpdatedAt = s.CreatedAt
	}
	return s
}

func nullable(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return b
}
