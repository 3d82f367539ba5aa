package orchestrator

import (
	"errors"
	"fmt"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/errtype"
)

// Sentinel errors callers branch on.
var (
	// ErrTimedOut is returned by Await on an external event wait whose timeout fired first.
	ErrTimedOut = errors.New("timed out waiting for external event")
	// ErrCanceled is returned by Await on a timer that was cancelled.
	ErrCanceled = errors.New("timer canceled")
)

// TaskFailedError is the error an awaited activity, sub-orchestration or entity
// operation failed with. The original error crossed a process boundary and was stored
// in history, so it arrives as its description: type name, message and stack.
type TaskFailedError struct {
	// Kind is "activity", "sub-orchestration" or "entity operation".
	Kind string
	// Name is the activity, orchestration or operation name.
	Name string
	// TaskID is the sequence id of the scheduling action.
	TaskID  int64
	Failure history.Failure
}

func (e *TaskFailedError) Error() string {
	return fmt.Sprintf("%s %q failed: %s", e.Kind, e.Name, e.Failure.Message)
}

// ErrorType returns the Go type of the error the task returned, or "panic".
func (e *TaskFailedError) ErrorType() string { return e.Failure.ErrorType }

// NonDeterminismError reports that orchestrator code no longer takes the actions its
// recorded history says it took: the code changed while instances were in flight, or it
// depends on something other than its inputs and results (clock, randomness, maps, I/O).
type NonDeterminismError struct {
	InstanceID string
	// Step is the sequence number of the first action that differs.
	Step int64
	// History describes what the journal holds at that step; Code what the code did.
	History string
	Code    string
}

func (e *NonDeterminismError) Error() string {
	return fmt.Sprintf("non-deterministic orchestrator: instance %q step %d: history has %s, code did %s",
		e.InstanceID, e.Step, e.History, e.Code)
}

// PanicError reports orchestrator code that panicked; the instance fails with it.
type PanicError struct {
	Value any
	Stack string
}

func (e *PanicError) Error() string { return fmt.Sprintf("orchestrator panicked: %v", e.Value) }

// FailureOf describes err for storage in history. Errors that already carry a stored
// failure keep it as the inner failure, so a chain of orchestrations reports its root
// cause.
//
// The failure's ErrorType is what a reader can branch on: the value of an ErrorType()
// string method, for an error that declares its type; "panic" for a panic; "TimedOut"
// and "Canceled" for ErrTimedOut and ErrCanceled; else the Go type of the first error
// in the chain that has one of its own (such as "*fs.PathError" or
// "*orchestrator.TaskFailedError"), looking through errors.New, fmt.Errorf and
// errors.Join, which only carry text; "Error" when none does.
func FailureOf(err error) *history.Failure {
	if err == nil {
		return nil
	}
	f := &history.Failure{ErrorType: errtype.Of(err, ownErrorType), Message: err.Error()}
	var tf *TaskFailedError
	if errors.As(err, &tf) {
		inner := tf.Failure
		f.Inner = &inner
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		f.Stack = pe.Stack
	} else if _, ok := err.(fmt.Formatter); ok {
		// Errors that carry a stack (pkg/errors style) print it with %+v.
		if detail := fmt.Sprintf("%+v", err); detail != f.Message {
			f.Stack = detail
		}
	}
	var nr interface{ NonRetriable() bool }
	if errors.As(err, &nr) && nr.NonRetriable() {
		f.NonRetriable = true
	}
	return f
}

// ownErrorType names the orchestrator's own errors.
func ownErrorType(err error) string {
	switch err.(type) {
	case *PanicError:
		return "panic"
	case *TaskFailedError:
		// Its ErrorType method names the task's error, which is its Inner failure:
		// this one is the orchestration's.
		return "*orchestrator.TaskFailedError"
	}
	switch err {
	case ErrTimedOut:
		return "TimedOut"
	case ErrCanceled:
		return "Canceled"
	}
	return ""
}
