package entities

import (
	"errors"
	"fmt"
	"strings"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/errtype"
)

// UnknownOperationError reports an operation the entity does not have. An entity
// function returns it for operation names it does not handle; for "delete" Apply then
// deletes the state instead of failing (see Apply).
type UnknownOperationError struct {
	Entity    ID
	Operation string
}

func (e *UnknownOperationError) Error() string {
	return fmt.Sprintf("entity %s has no operation %q", e.Entity, e.Operation)
}

// NonRetriable marks the error as one sending the operation again cannot fix.
func (e *UnknownOperationError) NonRetriable() bool { return true }

// DecodeError reports an operation input, or an entity state, that does not decode
// into the Go value the operation asked for. Its message names the entity and the
// operation, because it usually ends up in a caller's log far from the entity.
type DecodeError struct {
	Entity    ID
	Operation string
	// State is true when the entity's stored state failed to decode, false for the
	// operation's input.
	State bool
	// Into is the Go type the JSON was decoded into.
	Into string
	Err  error
}

func (e *DecodeError) Error() string {
	if e.State {
		return fmt.Sprintf("entity %s operation %s: state does not decode into %s: %v", e.Entity, e.Operation, e.Into, e.Err)
	}
	return fmt.Sprintf("entity %s operation %s: decode input: %v", e.Entity, e.Operation, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// NonRetriable marks the error as one sending the operation again cannot fix.
func (e *DecodeError) NonRetriable() bool { return true }

// panicError carries a recovered panic to failureOf.
type panicError struct {
	value any
	stack string
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// failureOf describes the error a failed operation ended with, for the caller and for
// storage in history. Every message names the entity and the operation: errors made by
// the Context already do, others get the prefix.
func failureOf(id ID, op string, err error) *history.Failure {
	f := &history.Failure{ErrorType: errtype.Of(err, ownErrorType), Message: err.Error()}
	var pe *panicError
	if errors.As(err, &pe) {
		f.Stack = pe.stack
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
	if !strings.HasPrefix(f.Message, "entity "+id.String()+" ") {
		f.Message = fmt.Sprintf("entity %s operation %s: %s", id, op, f.Message)
	}
	return f
}

// ownErrorType names the entity runtime's own errors.
func ownErrorType(err error) string {
	if _, ok := err.(*panicError); ok {
		return "panic"
	}
	return ""
}
