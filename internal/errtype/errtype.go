// Package errtype names an error's type for a stored failure: the name a caller reading
// the failure (in Go, over HTTP, in another language's SDK) can branch on.
package errtype

import (
	"context"
	"fmt"
)

// Of returns the meaningful type of err. It looks through err's chain, outermost first,
// for the first error that says what it is: one that known names (the runtime's own
// typed errors), one that declares its type with an ErrorType() string method, the
// context's cancellation and deadline, or one of a named type of its own. Errors that
// only carry text or wrap others (errors.New, fmt.Errorf, errors.Join) say nothing; when
// nothing in the chain does, the type is "Error".
func Of(err error, known func(error) string) string {
	if name := find(err, known); name != "" {
		return name
	}
	return "Error"
}

func find(err error, known func(error) string) string {
	if err == nil {
		return ""
	}
	if known != nil {
		if name := known(err); name != "" {
			return name
		}
	}
	if d, ok := err.(interface{ ErrorType() string }); ok && d.ErrorType() != "" {
		return d.ErrorType()
	}
	switch {
	case err == context.Canceled:
		return "Canceled"
	case err == context.DeadlineExceeded:
		return "DeadlineExceeded"
	}
	if name := fmt.Sprintf("%T", err); !anonymous[name] {
		return name
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return find(u.Unwrap(), known)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if name := find(e, known); name != "" {
				return name
			}
		}
	}
	return ""
}

// anonymous are the standard library's error types that tell nothing but a message.
var anonymous = map[string]bool{
	"*errors.errorString": true,
	"*errors.joinError":   true,
	"*fmt.wrapError":      true,
	"*fmt.wrapErrors":     true,
}
