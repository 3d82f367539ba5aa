// Package typed adapts ordinary Go functions with typed inputs and outputs to the JSON
// in, JSON out form the runtime stores. Reflection runs once, at registration; a bad
// signature is an error then, not a panic later.
package typed

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/godurable/durable/internal/jsonpayload"
)

// Func is the stored form: the first argument passes through, the input and output are JSON.
type Func[C any] func(c C, input []byte) ([]byte, error)

var errorType = reflect.TypeFor[error]()

// DecodeError reports an input that does not decode into the function's parameter.
// A retry cannot fix it.
type DecodeError struct {
	What string
	Err  error
}

func (e *DecodeError) Error() string { return fmt.Sprintf("decode input of %s: %v", e.What, e.Err) }
func (e *DecodeError) Unwrap() error { return e.Err }

// NonRetriable marks the error as one a retry cannot fix.
func (e *DecodeError) NonRetriable() bool { return true }

// Adapt checks that fn has one of the shapes
//
//	func(C) error
//	func(C) (Out, error)
//	func(C, In) error
//	func(C, In) (Out, error)
//
// and returns its stored form. what names the function in errors.
func Adapt[C any](what string, fn any) (Func[C], error) {
	if f, ok := fn.(Func[C]); ok {
		return f, nil
	}
	if f, ok := fn.(func(C, []byte) ([]byte, error)); ok {
		return f, nil
	}
	v := reflect.ValueOf(fn)
	t := v.Type()
	ctxType := reflect.TypeFor[C]()
	if t.Kind() != reflect.Func {
		return nil, fmt.Errorf("%s: %T is not a function", what, fn)
	}
	if t.NumIn() < 1 || t.NumIn() > 2 || t.In(0) != ctxType || t.IsVariadic() {
		return nil, fmt.Errorf("%s: want func(%v[, In]) ([Out, ]error), got %v", what, ctxType, t)
	}
	if t.NumOut() < 1 || t.NumOut() > 2 || t.Out(t.NumOut()-1) != errorType {
		return nil, fmt.Errorf("%s: want func(%v[, In]) ([Out, ]error), got %v", what, ctxType, t)
	}
	var inType reflect.Type
	if t.NumIn() == 2 {
		inType = t.In(1)
	}
	hasOut := t.NumOut() == 2
	return func(c C, input []byte) ([]byte, error) {
		args := []reflect.Value{reflect.ValueOf(&c).Elem()}
		if inType != nil {
			in, err := decode(inType, input)
			if err != nil {
				return nil, &DecodeError{What: what, Err: err}
			}
			args = append(args, in)
		}
		outs := v.Call(args)
		if err, _ := outs[len(outs)-1].Interface().(error); err != nil {
			return nil, err
		}
		if !hasOut {
			return nil, nil
		}
		b, err := jsonpayload.Marshal(outs[0].Interface())
		if err != nil {
			return nil, fmt.Errorf("encode result of %s: %w", what, err)
		}
		return b, nil
	}, nil
}

func decode(t reflect.Type, input []byte) (reflect.Value, error) {
	p := reflect.New(t)
	if len(input) == 0 {
		return p.Elem(), nil
	}
	if err := jsonpayload.Unmarshal(input, p.Interface()); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return reflect.Value{}, fmt.Errorf("malformed JSON: %w", err)
		}
		return reflect.Value{}, err
	}
	return p.Elem(), nil
}
