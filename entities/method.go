package entities

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/godurable/durable/internal/jsonpayload"
)

var (
	contextType = reflect.TypeFor[*Context]()
	errorType   = reflect.TypeFor[error]()
)

// codecMethods are the methods encoding/json calls on a state; they are not operations.
var codecMethods = map[string]bool{"MarshalJSON": true, "UnmarshalJSON": true, "MarshalText": true, "UnmarshalText": true}

// method is one operation of a Typed entity: how to call it, found once by reflection.
type method struct {
	name   string
	fn     reflect.Value // the method expression: receiver first
	ctx    bool          // takes *Context after the receiver
	in     reflect.Type  // the input's type, nil when it takes none
	out    bool          // returns a result before the optional error
	errOut bool          // returns an error last
	// direct, when set, calls the method without reflection (see directCall).
	direct func(recv any, c *Context) error
}

// methodsOf returns the operations of *T by name and by lower-cased name. It panics on
// a method of unsupported form or on two methods whose names differ only in case.
func methodsOf[T any](t reflect.Type) map[string]*method {
	pt := reflect.PointerTo(t)
	ops := make(map[string]*method, 2*pt.NumMethod())
	for i := range pt.NumMethod() {
		rm := pt.Method(i)
		if codecMethods[rm.Name] {
			continue
		}
		m, err := parseMethod(rm)
		if err != nil {
			panic(fmt.Sprintf("entities.Typed[%v]: %v", t, err))
		}
		m.direct = directCall[T](rm.Func.Interface(), m)
		lower := strings.ToLower(rm.Name)
		if other, ok := ops[lower]; ok {
			panic(fmt.Sprintf("entities.Typed[%v]: methods %s and %s are the same operation: names are matched case-insensitively", t, other.name, rm.Name))
		}
		ops[rm.Name], ops[lower] = m, m
	}
	return ops
}

func parseMethod(rm reflect.Method) (*method, error) {
	ft := rm.Type // receiver is In(0)
	m := &method{name: rm.Name, fn: rm.Func}
	bad := func(why string) error {
		return fmt.Errorf("method %s has an unsupported signature %v: %s; want func([ctx *entities.Context][, in In]) [Out | error | (Out, error)]",
			rm.Name, ft, why)
	}
	if ft.IsVariadic() {
		return nil, bad("variadic")
	}
	args := ft.NumIn() - 1
	next := 1
	if args > 0 && ft.In(next) == contextType {
		m.ctx, next, args = true, next+1, args-1
	}
	switch {
	case args > 1:
		return nil, bad("too many parameters")
	case args == 1:
		m.in = ft.In(next)
		if m.in == contextType {
			return nil, bad("*entities.Context must be the first parameter")
		}
		if !jsonable(m.in, true) {
			return nil, bad(fmt.Sprintf("input type %v cannot be decoded from JSON", m.in))
		}
	}
	switch ft.NumOut() {
	case 0:
	case 1:
		m.errOut = ft.Out(0) == errorType
		m.out = !m.errOut
	case 2:
		if ft.Out(1) != errorType {
			return nil, bad("the second result must be error")
		}
		m.out, m.errOut = true, true
	default:
		return nil, bad("too many results")
	}
	if m.out && !jsonable(ft.Out(0), false) {
		return nil, bad(fmt.Sprintf("result type %v cannot be encoded as JSON", ft.Out(0)))
	}
	return m, nil
}

// jsonable rejects the kinds encoding/json can never encode, or decode into a fresh
// value (a non-empty interface). It does not look inside composite types: a field of
// such a kind fails when the operation runs.
func jsonable(t reflect.Type, decode bool) bool {
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return false
	case reflect.Interface:
		return !decode || t.NumMethod() == 0
	}
	return true
}

// call runs the method on recv (a *T), decoding the input and returning the result
// through c.
func (m *method) call(c *Context, recv any) error {
	if m.direct != nil {
		return m.direct(recv, c)
	}
	var buf [3]reflect.Value
	args := append(buf[:0], reflect.ValueOf(recv))
	if m.ctx {
		args = append(args, reflect.ValueOf(c))
	}
	if m.in != nil {
		in := reflect.New(m.in)
		if len(c.op.Input) > 0 {
			if err := jsonpayload.Unmarshal(c.op.Input, in.Interface()); err != nil {
				return &DecodeError{Entity: c.id, Operation: c.op.Name, Into: m.in.String(), Err: err}
			}
		}
		args = append(args, in.Elem())
	}
	outs := m.fn.Call(args)
	if m.errOut {
		if err, _ := outs[len(outs)-1].Interface().(error); err != nil {
			return err
		}
	}
	if m.out {
		return c.Return(outs[0].Interface())
	}
	return nil
}
