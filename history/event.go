package history

import "time"

// EventType identifies what an Event records.
type EventType uint8

// The event types. Values are stored in journals: append new ones, never renumber.
const (
	EventExecutionStarted EventType = iota + 1
	EventOrchestratorStarted
	EventTaskScheduled
	EventTaskCompleted
	EventTaskFailed
	EventSubOrchestrationCreated
	EventSubOrchestrationCompleted
	EventSubOrchestrationFailed
	EventTimerCreated
	EventTimerFired
	EventEventRaised
	EventEventSent
	EventExecutionCompleted
	EventExecutionTerminated
	EventExecutionSuspended
	EventExecutionResumed
	EventExecutionRewound
	EventEntityOperationCalled
	EventEntityOperationSignaled
	EventEntityOperationCompleted
	EventEntityOperationFailed
	EventEntityLockRequested
	EventEntityLockGranted
	EventEntityUnlockSent
	// EventOrchestratorCompleted closes a step of an orchestration whose code runs
	// outside the process: the events before it were handed to that code.
	EventOrchestratorCompleted
)

var eventTypeNames = [...]string{
	EventExecutionStarted:          "ExecutionStarted",
	EventOrchestratorStarted:       "OrchestratorStarted",
	EventTaskScheduled:             "TaskScheduled",
	EventTaskCompleted:             "TaskCompleted",
	EventTaskFailed:                "TaskFailed",
	EventSubOrchestrationCreated:   "SubOrchestrationInstanceCreated",
	EventSubOrchestrationCompleted: "SubOrchestrationInstanceCompleted",
	EventSubOrchestrationFailed:    "SubOrchestrationInstanceFailed",
	EventTimerCreated:              "TimerCreated",
	EventTimerFired:                "TimerFired",
	EventEventRaised:               "EventRaised",
	EventEventSent:                 "EventSent",
	EventExecutionCompleted:        "ExecutionCompleted",
	EventExecutionTerminated:       "ExecutionTerminated",
	EventExecutionSuspended:        "ExecutionSuspended",
	EventExecutionResumed:          "ExecutionResumed",
	EventExecutionRewound:          "ExecutionRewound",
	EventEntityOperationCalled:     "EntityOperationCalled",
	EventEntityOperationSignaled:   "EntityOperationSignaled",
	EventEntityOperationCompleted:  "EntityOperationCompleted",
	EventEntityOperationFailed:     "EntityOperationFailed",
	EventEntityLockRequested:       "EntityLockRequested",
	EventEntityLockGranted:         "EntityLockGranted",
	EventEntityUnlockSent:          "EntityUnlockSent",
	EventOrchestratorCompleted:     "OrchestratorCompleted",
}

// String returns the Durable Task name of the event type, as the HTTP API shows it.
func (t EventType) String() string {
	if int(t) < len(eventTypeNames) && eventTypeNames[t] != "" {
		return eventTypeNames[t]
	}
	return "Unknown"
}

// Event is one entry of an orchestration's history. It is a flat union: Type says
// which fields are meaningful. Payloads (Input, Result) hold JSON, the wire format of
// Durable Functions, so they pass through the HTTP API unchanged.
type Event struct {
	Type EventType `msgpack:"t"`
	// Time is when the event was recorded. For OrchestratorStarted it is the
	// orchestration's current time for the turn that follows.
	Time time.Time `msgpack:"ts"`
	// ID is the sequence number a scheduling event (TaskScheduled, TimerCreated,
	// SubOrchestrationCreated, EventSent, entity messages) took in its execution.
	ID int64 `msgpack:"id,omitempty"`
	// TaskID links a completion (TaskCompleted, TimerFired, ...) to the ID of the
	// scheduling event it completes.
	TaskID int64 `msgpack:"tid,omitempty"`
	// Name is the activity, orchestration, event or entity operation name.
	Name string `msgpack:"n,omitempty"`
	// InstanceID is the other party: the child of a sub-orchestration, the target of
	// a sent event or entity message, or the instance itself in ExecutionStarted.
	InstanceID string `msgpack:"i,omitempty"`
	// ExecutionID identifies one execution of an instance (ContinueAsNew starts a new one).
	ExecutionID string `msgpack:"x,omitempty"`
	// Input is the JSON input of the scheduled work, raised event or execution.
	// For ExecutionTerminated, Suspended, Resumed and Rewound it holds the reason.
	Input []byte `msgpack:"in,omitempty"`
	// Result is the JSON result of a completion or of the execution.
	Result []byte `msgpack:"out,omitempty"`
	// Failure describes a failed task, child or execution.
	Failure *Failure `msgpack:"f,omitempty"`
	// FireAt is when a timer is due.
	FireAt time.Time `msgpack:"at,omitempty"`
	// Status is the final status in ExecutionCompleted.
	Status RuntimeStatus `msgpack:"s,omitempty"`
	// Parent is set in ExecutionStarted of a sub-orchestration.
	Parent *ParentRef `msgpack:"p,omitempty"`
	// Version is the orchestration version an execution runs (ExecutionStarted), or a
	// sub-orchestration is started at (SubOrchestrationCreated); empty for the
	// unversioned one.
	Version string `msgpack:"v,omitempty"`
	// Trace is the W3C trace context (traceparent) of the work the event starts: in
	// ExecutionStarted, the trace the execution's spans belong to.
	Trace string `msgpack:"tr,omitempty"`
}

// ParentRef names the orchestration that started a sub-orchestration and the task
// that waits for it.
type ParentRef struct {
	InstanceID  string `msgpack:"i"`
	ExecutionID string `msgpack:"x,omitempty"`
	TaskID      int64  `msgpack:"tid"`
	Name        string `msgpack:"n,omitempty"`
}

// Failure describes why an activity, sub-orchestration, entity operation or
// orchestration failed. It is stored in history, so it holds strings only.
type Failure struct {
	// ErrorType names the original error's type: the one it declares with an
	// ErrorType() string method, or its Go type (for example "*fs.PathError"), or
	// "panic" when the code panicked, or "Error" for an error that is only a message
	// (see orchestrator.FailureOf).
	ErrorType string `msgpack:"et,omitempty" json:"errorType,omitempty"`
	Message   string `msgpack:"m" json:"message"`
	Stack     string `msgpack:"st,omitempty" json:"stackTrace,omitempty"`
	// Inner is the failure that caused this one, when it crossed a task boundary.
	Inner *Failure `msgpack:"in,omitempty" json:"innerFailure,omitempty"`
	// NonRetriable marks failures a retry cannot fix (unknown activity, bad input).
	NonRetriable bool `msgpack:"nr,omitempty" json:"nonRetriable,omitempty"`
}

// IsScheduling reports whether the event records an action the orchestrator code
// took, which replay must find the code taking again.
func (t EventType) IsScheduling() bool {
	switch t {
	case EventTaskScheduled, EventSubOrchestrationCreated, EventTimerCreated, EventEventSent,
		EventEntityOperationCalled, EventEntityOperationSignaled, EventEntityLockRequested, EventEntityUnlockSent:
		return true
	}
	return false
}
