package entities

import (
	"strconv"

	"github.com/godurable/durable/internal/jsonpayload"
)

// directCall returns a call of the method fn (described by m) without reflection, for
// the forms the hot operations of an entity usually have: a mutator taking at most one
// input of a basic type (int, int64, float64, string, bool) and returning at most an
// error, or a getter taking no input and returning a basic type. For such small
// methods a reflective call costs more than the method itself; on a counter, calling
// directly (with decodeScalar) runs an "Add" in a quarter of the time. It returns nil
// for the other forms, which are called by reflection.
func directCall[T any](fn any, m *method) func(recv any, c *Context) error {
	for _, f := range []func(any, *method) func(any, *Context) error{
		noArgs[T], withIn[T, int], withIn[T, int64], withIn[T, float64], withIn[T, string], withIn[T, bool],
		withOut[T, int], withOut[T, int64], withOut[T, float64], withOut[T, string], withOut[T, bool],
	} {
		if call := f(fn, m); call != nil {
			return call
		}
	}
	return nil
}

func noArgs[T any](fn any, _ *method) func(any, *Context) error {
	switch f := fn.(type) {
	case func(*T):
		return func(r any, _ *Context) error { f(r.(*T)); return nil }
	case func(*T) error:
		return func(r any, _ *Context) error { return f(r.(*T)) }
	case func(*T, *Context):
		return func(r any, c *Context) error { f(r.(*T), c); return nil }
	case func(*T, *Context) error:
		return func(r any, c *Context) error { return f(r.(*T), c) }
	}
	return nil
}

func withIn[T, In any](fn any, m *method) func(any, *Context) error {
	switch f := fn.(type) {
	case func(*T, In):
		return func(r any, c *Context) error {
			in, err := decodeInput[In](c, m)
			if err == nil {
				f(r.(*T), in)
			}
			return err
		}
	case func(*T, In) error:
		return func(r any, c *Context) error {
			in, err := decodeInput[In](c, m)
			if err != nil {
				return err
			}
			return f(r.(*T), in)
		}
	case func(*T, *Context, In):
		return func(r any, c *Context) error {
			in, err := decodeInput[In](c, m)
			if err == nil {
				f(r.(*T), c, in)
			}
			return err
		}
	case func(*T, *Context, In) error:
		return func(r any, c *Context) error {
			in, err := decodeInput[In](c, m)
			if err != nil {
				return err
			}
			return f(r.(*T), c, in)
		}
	}
	return nil
}

func withOut[T, Out any](fn any, _ *method) func(any, *Context) error {
	switch f := fn.(type) {
	case func(*T) Out:
		return func(r any, c *Context) error { return c.Return(f(r.(*T))) }
	case func(*T) (Out, error):
		return func(r any, c *Context) error {
			out, err := f(r.(*T))
			return returned(c, out, err)
		}
	case func(*T, *Context) Out:
		return func(r any, c *Context) error { return c.Return(f(r.(*T), c)) }
	case func(*T, *Context) (Out, error):
		return func(r any, c *Context) error {
			out, err := f(r.(*T), c)
			return returned(c, out, err)
		}
	}
	return nil
}

// returned sets the result of a method that returned (out, err).
func returned[Out any](c *Context, out Out, err error) error {
	if err != nil {
		return err
	}
	return c.Return(out)
}

// decodeInput decodes the operation's input into an In, the zero In when there is none.
func decodeInput[In any](c *Context, m *method) (In, error) {
	if len(c.op.Input) == 0 {
		var zero In
		return zero, nil
	}
	if in, ok := decodeScalar[In](c.op.Input); ok {
		return in, nil
	}
	in := new(In)
	if err := jsonpayload.Unmarshal(c.op.Input, in); err != nil {
		return *in, &DecodeError{Entity: c.id, Operation: c.op.Name, Into: m.in.String(), Err: err}
	}
	return *in, nil
}

// decodeScalar decodes the plainest JSON integers and strings, the usual inputs of hot
// operations, without encoding/json, which costs several times more for them. It
// reports false for anything else, so that encoding/json decides, and errs, as usual.
func decodeScalar[In any](b []byte) (in In, ok bool) {
	switch p := any(&in).(type) {
	case *int:
		var n int64
		n, ok = jsonpayload.PlainInt(b, strconv.IntSize)
		*p = int(n)
	case *int64:
		*p, ok = jsonpayload.PlainInt(b, 64)
	case *string:
		*p, ok = jsonpayload.PlainString(b)
	}
	return in, ok
}
