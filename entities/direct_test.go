package entities

import (
	"encoding/json"
	"fmt"
	"testing"
)

// checkScalar fails when decodeScalar accepts b but decodes it differently from
// encoding/json, or accepts what encoding/json refuses.
func checkScalar[In comparable](t *testing.T, b []byte) bool {
	got, ok := decodeScalar[In](b)
	if !ok {
		return false
	}
	var want In
	if err := json.Unmarshal(b, &want); err != nil {
		t.Errorf("decodeScalar[%T](%q) = %v, but encoding/json refuses it: %v", want, b, got, err)
	} else if got != want {
		t.Errorf("decodeScalar[%T](%q) = %v, encoding/json says %v", want, b, got, want)
	}
	return true
}

var scalarSeeds = []string{
	"0", "1", "-1", "42", "-0", "007", "01", "-", "", "1.0", "1e3", " 1", "1 ", "+1", "0x10",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"12345678901234567890", "null", "true", `"1"`,
	`""`, `"a"`, `"hello world"`, `"ünïcode"`, `"tab\there"`, `"quote\"d"`, `"new` + "\n" + `line"`,
	"\"\xff\"", `"`, `"a`, `a"`, `"\u0041"`,
}

func TestDecodeScalarAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range scalarSeeds {
		checkScalar[int](t, []byte(s))
		checkScalar[int64](t, []byte(s))
		checkScalar[string](t, []byte(s))
		if _, ok := decodeScalar[float64]([]byte(s)); ok {
			t.Errorf("decodeScalar[float64](%q) took a type it does not handle", s)
		}
	}
	// The fast path must take the common inputs, or it is useless.
	for _, s := range []string{"0", "1", "-25", "9223372036854775807"} {
		if !checkScalar[int64](t, []byte(s)) || !checkScalar[int](t, []byte(s)) {
			t.Errorf("decodeScalar(%q) left a plain integer to encoding/json", s)
		}
	}
	for _, s := range []string{`""`, `"alice"`, `"ünïcode"`} {
		if !checkScalar[string](t, []byte(s)) {
			t.Errorf("decodeScalar(%q) left a plain string to encoding/json", s)
		}
	}
}

func FuzzDecodeScalar(f *testing.F) {
	for _, s := range scalarSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScalar[int](t, b)
		checkScalar[int64](t, b)
		checkScalar[string](t, b)
	})
}

type amount int

// Basics has operations with the input and result types called without reflection.
type Basics struct {
	I   int
	I64 int64
	F   float64
	S   string
	B   bool
}

func (b *Basics) SetI(v int)                       { b.I = v }
func (b *Basics) SetI64(v int64) error             { b.I64 = v; return nil }
func (b *Basics) SetF(c *Context, v float64)       { b.F = v }
func (b *Basics) SetS(c *Context, v string) error  { b.S = v; return nil }
func (b *Basics) SetB(v bool)                      { b.B = v }
func (b *Basics) GetI() int                        { return b.I }
func (b *Basics) GetI64() (int64, error)           { return b.I64, nil }
func (b *Basics) GetF(c *Context) float64          { return b.F }
func (b *Basics) GetS(c *Context) (string, error)  { return b.S, nil }
func (b *Basics) GetB() bool                       { return b.B }
func (b *Basics) FailS(c *Context) (string, error) { return "lost", fmt.Errorf("no %s", c.Operation()) }
func (b *Basics) FailIn(c *Context, v int) error   { b.I = v; return fmt.Errorf("no %d", v) }
func (b *Basics) Both(v int) int                   { b.I += v; return b.I } // called by reflection
func (b *Basics) Named(v amount) amount            { return v * 2 }         // called by reflection
func (b *Basics) PanicIn(v string)                 { panic(v) }

func TestTypedDirectCalls(t *testing.T) {
	fn := Typed[Basics]()
	for name, m := range fn2entity[Basics](t, fn).ops {
		if direct := m.direct != nil; direct != (name != "Both" && name != "both" && name != "Named" && name != "named") {
			t.Errorf("method %s: direct call %v", name, direct)
		}
	}
	state, got, results := typedRun(t, fn, "",
		op("setI", 7), op("setI64", int64(1)<<40), op("setF", 2.5), op("setS", "tab\t"), op("setB", true),
		op("getI", nil), op("getI64", nil), op("getF", nil), op("getS", nil), op("getB", nil),
		op("failS", nil), op("failIn", 99), op("both", 3), op("setI", "x"), op("setS", 1), op("panicIn", "p"),
		op("setI", nil), op("getI", nil), op("named", 21))
	if want := `{"I":0,"I64":1099511627776,"F":2.5,"S":"tab\t","B":true}`; state != want {
		t.Errorf("state = %s, want %s", state, want)
	}
	want := `[- - - - - 7 1099511627776 2.5 "tab\t" true !Error !Error 10 !*entities.DecodeError !*entities.DecodeError !panic - 0 42]`
	if fmt.Sprint(got) != want {
		t.Errorf("results = %v\nwant      %s", got, want)
	}
	if msg := results[13].Failure.Message; msg != `entity @test@k operation setI: decode input: json: cannot unmarshal string into Go value of type int` {
		t.Errorf("decode failure = %s", msg)
	}
}

// fn2entity digs the typedEntity out of a Func made by Typed, by running an operation
// that records it.
func fn2entity[T any](t *testing.T, fn Func) *typedEntity[T] {
	t.Helper()
	c := &Context{id: ID{"Test", "k"}}
	c.reset(&Operation{Name: "no such operation"})
	_ = fn(c) // unknown operation: nothing decoded, nothing changed
	c.reset(&Operation{Name: "getI"})
	if err := fn(c); err != nil {
		t.Fatal(err)
	}
	h, ok := c.st.live.(*holder[T])
	if !ok {
		t.Fatalf("live value is %T", c.st.live)
	}
	return h.e
}
