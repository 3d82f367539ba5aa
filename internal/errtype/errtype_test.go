package errtype_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/godurable/durable/internal/errtype"
)

type declared struct{}

func (declared) Error() string     { return "declared" }
func (declared) ErrorType() string { return "InsufficientFunds" }

type silent struct{}

func (silent) Error() string     { return "silent" }
func (silent) ErrorType() string { return "" }

var errSentinel = errors.New("sentinel")

func TestOf(t *testing.T) {
	known := func(err error) string {
		if err == errSentinel {
			return "Sentinel"
		}
		return ""
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{errors.New("plain"), "Error"},
		{fmt.Errorf("a: %w", errors.New("b")), "Error"},
		{fmt.Errorf("charge: %w", declared{}), "InsufficientFunds"},
		{errors.Join(errors.New("x"), fmt.Errorf("y: %w", &fs.PathError{Op: "open"})), "*fs.PathError"},
		{fmt.Errorf("%w and %w", errors.New("x"), declared{}), "InsufficientFunds"},
		{silent{}, "errtype_test.silent"},
		{fmt.Errorf("wait: %w", context.DeadlineExceeded), "DeadlineExceeded"},
		{fmt.Errorf("wait: %w", context.Canceled), "Canceled"},
		{fmt.Errorf("wrapped: %w", errSentinel), "Sentinel"},
		{&fs.PathError{Op: "open", Err: declared{}}, "*fs.PathError"},
	} {
		if got := errtype.Of(c.err, known); got != c.want {
			t.Errorf("Of(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
