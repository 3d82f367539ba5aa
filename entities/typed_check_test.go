package entities

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestTypedPanicsOnBadTypes(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func() Func
		want string
	}{
		{"not a struct", func() Func { return Typed[int]() }, "must be a struct, int is a int"},
		{"pointer", func() Func { return Typed[*Counter]() }, "must be a struct"},
		{"variadic", func() Func { return Typed[badVariadic]() }, "method Op has an unsupported signature"},
		{"too many params", func() Func { return Typed[badParams]() }, "method Op has an unsupported signature func(*entities.badParams, int, int): too many parameters"},
		{"context second", func() Func { return Typed[badCtxOrder]() }, "method Op has an unsupported signature func(*entities.badCtxOrder, int, *entities.Context): too many parameters"},
		{"context as input", func() Func { return Typed[badCtxTwice]() }, "must be the first parameter"},
		{"second result not error", func() Func { return Typed[badResults]() }, "method Op has an unsupported signature func(*entities.badResults) (int, int): the second result must be error"},
		{"three results", func() Func { return Typed[badThree]() }, "too many results"},
		{"chan input", func() Func { return Typed[badInput]() }, "input type chan int cannot be decoded from JSON"},
		{"interface input", func() Func { return Typed[badIface]() }, "input type fmt.Stringer cannot be decoded from JSON"},
		{"func result", func() Func { return Typed[badOutput]() }, "result type func() cannot be encoded as JSON"},
		{"names differ in case only", func() Func { return Typed[badCase]() }, "are the same operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg := fmt.Sprint(r); r == nil || !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "entities.Typed") {
					t.Errorf("panic = %v, want one containing %q", r, tc.want)
				}
			}()
			tc.make()
		})
	}
}

type badVariadic struct{}

func (badVariadic) Op(...int) {}

type badParams struct{}

func (*badParams) Op(int, int) {}

type badCtxOrder struct{}

func (*badCtxOrder) Op(int, *Context) {}

type badCtxTwice struct{}

func (*badCtxTwice) Op(*Context, *Context) {}

type badResults struct{}

func (*badResults) Op() (int, int) { return 0, 0 }

type badThree struct{}

func (*badThree) Op() (int, int, error) { return 0, 0, nil }

type badInput struct{}

func (*badInput) Op(chan int) {}

type badIface struct{}

func (*badIface) Op(fmt.Stringer) {}

type badOutput struct{}

func (*badOutput) Op() func() { return nil }

type badCase struct{}

func (*badCase) GetID() int { return 0 }
func (*badCase) GetId() int { return 0 }

func TestFlatType(t *testing.T) {
	type inner struct {
		A [3]int8
		//lint:ignore U1000 an unexported field is never encoded, so it must not make the type unflat
		s string
	}
	for _, tc := range []struct {
		v            any
		flat, floats bool
	}{
		{Counter{}, true, false},
		{struct {
			I inner
			B bool
			U uintptr
		}{}, true, false},
		{Measure{}, true, true},
		{Log{}, false, false},
		{struct{ P *int }{}, false, false},
		{struct{ p []int }{}, false, false},
		{struct{ A any }{}, false, false},
		{Stamp{}, false, false},
		{struct{ S Stamp }{}, false, false},
		{struct{ C complex64 }{}, false, false},
		{struct{}{}, true, false},
		{Tally{}, true, false}, // decoding hooks do not matter: only copying and encoding do
	} {
		flat, floats := flatType(reflect.TypeOf(tc.v))
		if flat != tc.flat || floats != tc.floats {
			t.Errorf("flatType(%T) = %v, %v; want %v, %v", tc.v, flat, floats, tc.flat, tc.floats)
		}
	}
}

func TestFinite(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{Measure{Sum: 1}, true},
		{Measure{Sum: math.NaN()}, false},
		{Measure{Sum: math.Inf(-1)}, false},
		{Measure{Samples: [2]float32{0, float32(math.Inf(1))}}, false},
		{Counter{}, true},
	} {
		if got := finite(reflect.ValueOf(tc.v)); got != tc.want {
			t.Errorf("finite(%+v) = %v", tc.v, got)
		}
	}
}
