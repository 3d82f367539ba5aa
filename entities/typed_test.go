package entities

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Counter has a flat state: it is rolled back by copying.
type Counter struct{ Value int }

func (c *Counter) Add(n int)     { c.Value += n }
func (c *Counter) Reset()        { c.Value = 0 }
func (c *Counter) Get() int      { return c.Value }
func (c *Counter) Double() error { c.Value *= 2; return nil }
func (c *Counter) AddThenFail(n int) error {
	c.Value += n
	return errors.New("refused")
}
func (c *Counter) AddThenPanic(n int) {
	c.Value += n
	panic("boom")
}

// Log has a state with references: it is rolled back from its last encoding.
type Log struct {
	Items []int
	Seen  map[string]int
}

func (l *Log) Append(i int) {
	l.Items = append(l.Items, i)
	if l.Seen == nil {
		l.Seen = map[string]int{}
	}
	l.Seen[fmt.Sprint(i)]++
}
func (l *Log) Len() int { return len(l.Items) }
func (l *Log) AppendThenFail(i int) error {
	l.Append(i)
	if len(l.Items) > 0 {
		l.Items[0] = -1 // mutate shared backing memory too
	}
	return errors.New("refused")
}
func (l *Log) AppendThenPanic(i int) {
	l.Append(i)
	panic("boom")
}

func typedRun(t *testing.T, fn Func, state string, ops ...Operation) (string, []string, []Result) {
	t.Helper()
	var in []byte
	if state != "" {
		in = []byte(state)
	}
	got, results := Apply(ID{"Test", "k"}, fn, in, ops, batchNow)
	if len(results) != len(ops) {
		t.Fatalf("%d results for %d ops", len(results), len(ops))
	}
	return string(got), outputs(results), results
}

func TestTypedCounter(t *testing.T) {
	fn := Typed[Counter]()
	for _, tc := range []struct {
		name      string
		state     string
		ops       []Operation
		wantState string
		want      []string
	}{
		{"no state is a zero T", "", []Operation{op("get", nil)}, `{"Value":0}`, []string{"0"}},
		{"ops in a batch see each other", "", []Operation{op("add", 2), op("add", 3), op("get", nil), op("double", nil), op("get", nil)},
			`{"Value":10}`, []string{"-", "-", "5", "-", "10"}},
		{"existing state", `{"Value":40}`, []Operation{op("add", 2), op("get", nil)}, `{"Value":42}`, []string{"-", "42"}},
		{"case-insensitive names", "", []Operation{op("ADD", 1), op("Add", 1), op("aDd", 1), op("add", 1), op("GET", nil)},
			`{"Value":4}`, []string{"-", "-", "-", "-", "4"}},
		{"error rolls back", `{"Value":1}`, []Operation{op("add", 1), op("addThenFail", 100), op("add", 1), op("get", nil)},
			`{"Value":3}`, []string{"-", "!Error", "-", "3"}},
		{"panic rolls back", `{"Value":1}`, []Operation{op("add", 1), op("addThenPanic", 100), op("add", 1), op("get", nil)},
			`{"Value":3}`, []string{"-", "!panic", "-", "3"}},
		{"first op fails", `{"Value":1}`, []Operation{op("addThenFail", 100), op("get", nil)}, `{"Value":1}`, []string{"!Error", "1"}},
		{"only failures keep the state bytes", `{"Value":1, "Old":true}`, []Operation{op("addThenFail", 100)}, `{"Value":1, "Old":true}`, []string{"!Error"}},
		{"unknown operation", `{"Value":1}`, []Operation{op("frobnicate", nil), op("get", nil)}, `{"Value":1}`, []string{"!*entities.UnknownOperationError", "1"}},
		{"undecodable input", `{"Value":1}`, []Operation{op("add", "x"), op("get", nil)}, `{"Value":1}`, []string{"!*entities.DecodeError", "1"}},
		{"no input is a zero In", `{"Value":1}`, []Operation{op("add", nil), op("get", nil)}, `{"Value":1}`, []string{"-", "1"}},
		{"built-in delete", `{"Value":1}`, []Operation{op("add", 1), op("Delete", nil)}, "", []string{"-", "-"}},
		{"delete then recreate", `{"Value":1}`, []Operation{op("delete", nil), op("add", 5)}, `{"Value":5}`, []string{"-", "-"}},
		{"state that no longer decodes", `{"Value":"lots"}`, []Operation{op("add", 1), op("get", nil)},
			`{"Value":"lots"}`, []string{"!*entities.DecodeError", "!*entities.DecodeError"}},
		{"broken state can be deleted", `{"Value":"lots"}`, []Operation{op("add", 1), op("delete", nil), op("add", 1)},
			`{"Value":1}`, []string{"!*entities.DecodeError", "-", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, got, _ := typedRun(t, fn, tc.state, tc.ops...)
			if state != tc.wantState {
				t.Errorf("state = %s, want %s", state, tc.wantState)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("results = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTypedLogRollsBackReferences(t *testing.T) {
	fn := Typed[Log]()
	state, got, _ := typedRun(t, fn, `{"Items":[7]}`,
		op("append", 1), op("appendThenFail", 2), op("append", 3), op("appendThenPanic", 4), op("appendThenFail", 5), op("append", 6), op("len", nil))
	if want := `{"Items":[7,1,3,6],"Seen":{"1":1,"3":1,"6":1}}`; state != want {
		t.Errorf("state = %s, want %s", state, want)
	}
	if want := "[- !Error - !panic !Error - 4]"; fmt.Sprint(got) != want {
		t.Errorf("results = %v, want %v", got, want)
	}
}

// Account's state is decoded from what an older version stored.
type Account struct{ Balance int }

func (a *Account) Deposit(n int) { a.Balance += n }

func TestTypedStateThatNoLongerDecodes(t *testing.T) {
	stored := []byte(`{"Balance":"12.50 EUR"}`)
	state, results := Apply(ID{"Account", "a"}, Typed[Account](), stored, []Operation{op("deposit", 1)}, batchNow)
	if string(state) != string(stored) {
		t.Errorf("state = %s, want it untouched", state)
	}
	f := results[0].Failure
	want := "entity @account@a operation deposit: state does not decode into entities.Account: "
	if f == nil || !strings.HasPrefix(f.Message, want) || f.ErrorType != "*entities.DecodeError" {
		t.Errorf("failure = %+v, want a message starting %q", f, want)
	}
	var de *DecodeError
	if _, err := decodeErrorOf(Typed[Account](), stored); !errors.As(err, &de) || !de.State {
		t.Errorf("error = %v, want a state DecodeError", err)
	}
}

// decodeErrorOf runs one "deposit" through fn directly, to see the error it returns.
func decodeErrorOf(fn Func, state []byte) (*Context, error) {
	c := &Context{id: ID{"Account", "a"}, now: batchNow}
	c.st.raw = state
	c.reset(&Operation{Name: "deposit", Input: []byte("1")})
	return c, fn(c)
}

// Forms has one method for each supported form.
type Forms struct{ N int }

type pair struct{ A, B int }

func (f *Forms) None()                               { f.N++ }
func (f *Forms) NoneOut() int                        { f.N++; return f.N }
func (f *Forms) NoneErr() error                      { f.N++; return nil }
func (f *Forms) NoneOutErr() (string, error)         { f.N++; return "ok", nil }
func (f *Forms) In(p pair)                           { f.N += p.A + p.B }
func (f *Forms) InOut(p pair) pair                   { f.N++; return pair{p.B, p.A} }
func (f *Forms) InErr(n int) error                   { f.N += n; return nil }
func (f *Forms) InOutErr(n int) (int, error)         { f.N += n; return f.N, nil }
func (f *Forms) Ctx(c *Context)                      { f.N++; _ = c.Return(c.Operation()) }
func (f *Forms) CtxOut(c *Context) string            { f.N++; return c.ID().Key }
func (f *Forms) CtxErr(c *Context) error             { f.N++; return c.Return(c.HasState()) }
func (f *Forms) CtxOutErr(c *Context) ([]int, error) { f.N++; return []int{f.N}, nil }
func (f *Forms) CtxIn(c *Context, s string)          { f.N++; _ = c.Return(s + "!") }
func (f *Forms) CtxInOut(c *Context, n int) int      { f.N += n; return f.N }
func (f *Forms) CtxInErr(c *Context, n int) error    { f.N += n; return nil }
func (f *Forms) CtxInOutErr(c *Context, m map[string]int) (map[string]int, error) {
	f.N++
	return m, nil
}
func (f Forms) ValueReceiver() int       { return f.N }
func (f *Forms) Fail(n int) (int, error) { f.N += n; return n, fatalError{} }

func TestTypedMethodForms(t *testing.T) {
	fn := Typed[Forms]()
	for _, tc := range []struct {
		op    Operation
		want  string
		wantN int
	}{
		{op("none", nil), "-", 1},
		{op("noneOut", nil), "1", 1},
		{op("noneErr", nil), "-", 1},
		{op("noneOutErr", nil), `"ok"`, 1},
		{op("in", pair{2, 3}), "-", 5},
		{op("inOut", pair{2, 3}), `{"A":3,"B":2}`, 1},
		{op("inErr", 4), "-", 4},
		{op("inOutErr", 4), "4", 4},
		{op("ctx", nil), `"ctx"`, 1},
		{op("ctxOut", nil), `"k"`, 1},
		{op("ctxErr", nil), "true", 1},
		{op("ctxOutErr", nil), "[1]", 1},
		{op("ctxIn", "hi"), `"hi!"`, 1},
		{op("ctxInOut", 3), "3", 3},
		{op("ctxInErr", 3), "-", 3},
		{op("ctxInOutErr", map[string]int{"x": 1}), `{"x":1}`, 1},
		{op("valueReceiver", nil), "0", 0},
		{op("fail", 5), "!entities.fatalError", 0},
	} {
		t.Run(tc.op.Name, func(t *testing.T) {
			state, got, results := typedRun(t, fn, "", tc.op)
			if got[0] != tc.want {
				t.Errorf("result = %s, want %s (%+v)", got[0], tc.want, results[0].Failure)
			}
			wantState := fmt.Sprintf(`{"N":%d}`, tc.wantN)
			if results[0].Failure != nil {
				wantState = "" // a failed first op leaves no state
			}
			if state != wantState {
				t.Errorf("state = %s, want %s", state, wantState)
			}
		})
	}
}

// Relay uses the Context from its methods.
type Relay struct{ Sent int }

func (r *Relay) Forward(c *Context, to string) (string, error) {
	if err := c.SignalEntity(ID{"Counter", to}, "add", 1); err != nil {
		return "", err
	}
	r.Sent++
	return c.StartOrchestration("Audit", r.Sent, WithInstanceID("audit-"+to))
}

func (r *Relay) ForwardThenFail(c *Context, to string) error {
	_ = c.SignalEntity(ID{"Counter", to}, "add", 1)
	_, _ = c.StartOrchestration("Audit", r.Sent)
	r.Sent++
	return errors.New("no")
}

func (r *Relay) Forget(c *Context) { c.DeleteState() }

func (r *Relay) Replace(c *Context) error { r.Sent = 100; return c.SetState(Relay{Sent: 7}) }

func TestTypedContextMethods(t *testing.T) {
	state, got, results := typedRun(t, Typed[Relay](), "",
		op("forward", "a"), op("forwardThenFail", "b"), op("forward", "c"))
	if state != `{"Sent":2}` {
		t.Errorf("state = %s", state)
	}
	if want := `["audit-a" !Error "audit-c"]`; fmt.Sprint(got) != want {
		t.Errorf("results = %v, want %s", got, want)
	}
	for i, key := range map[int]string{0: "a", 2: "c"} {
		r := results[i]
		if len(r.Signals) != 1 || r.Signals[0].Target != (ID{"Counter", key}) || r.Signals[0].Operation != "add" || string(r.Signals[0].Input) != "1" {
			t.Errorf("op %d signals = %+v", i, r.Signals)
		}
		if len(r.Starts) != 1 || r.Starts[0].InstanceID != "audit-"+key || r.Starts[0].Name != "Audit" {
			t.Errorf("op %d starts = %+v", i, r.Starts)
		}
	}
	if string(results[2].Starts[0].Input) != "2" {
		t.Errorf("start input = %s", results[2].Starts[0].Input)
	}
}

func TestTypedMethodsMayTakeOverTheState(t *testing.T) {
	fn := Typed[Relay]()
	if state, _, _ := typedRun(t, fn, `{"Sent":1}`, op("forget", nil)); state != "" {
		t.Errorf("after DeleteState: state = %s", state)
	}
	if state, _, _ := typedRun(t, fn, `{"Sent":1}`, op("forget", nil), op("forward", "a")); state != `{"Sent":1}` {
		t.Errorf("delete then recreate: state = %s", state)
	}
	if state, _, _ := typedRun(t, fn, `{"Sent":1}`, op("replace", nil)); state != `{"Sent":7}` {
		t.Errorf("after SetState: state = %s", state)
	}
	if state, _, _ := typedRun(t, fn, `{"Sent":1}`, op("replace", nil), op("forward", "a")); state != `{"Sent":8}` {
		t.Errorf("after SetState and another op: state = %s", state)
	}
}

// Keeper has a Delete method of its own, which keeps the state.
type Keeper struct{ Deleted bool }

func (k *Keeper) Delete() { k.Deleted = true }

func TestTypedOwnDeleteReplacesBuiltIn(t *testing.T) {
	if state, _, _ := typedRun(t, Typed[Keeper](), `{}`, op("delete", nil)); state != `{"Deleted":true}` {
		t.Errorf("state = %s", state)
	}
}

// Measure has floats: JSON cannot hold NaN or infinities.
type Measure struct {
	Sum     float64
	Samples [2]float32
}

func (m *Measure) Add(x float64)    { m.Sum += x }
func (m *Measure) Divide(x float64) { m.Sum /= x }
func (m *Measure) Sample(x float32) { m.Samples[1] = x * x }
func (m *Measure) Ratio() float64   { return m.Sum / 0 }

func TestTypedFloatsThatDoNotEncodeFailTheOperation(t *testing.T) {
	state, got, results := typedRun(t, Typed[Measure](), "",
		op("add", 1.5), op("divide", 0), op("sample", 1e30), op("ratio", nil), op("add", 1))
	if want := `{"Sum":2.5,"Samples":[0,0]}`; state != want {
		t.Errorf("state = %s, want %s", state, want)
	}
	if want := "[- !*json.UnsupportedValueError !*json.UnsupportedValueError !*json.UnsupportedValueError -]"; fmt.Sprint(got) != want {
		t.Errorf("results = %v, want %v", got, want)
	}
	if msg := results[1].Failure.Message; !strings.HasPrefix(msg, "entity @test@k operation divide: encode state: json: unsupported value: ") {
		t.Errorf("message = %s", msg)
	}
}

func TestTypedUnknownOperation(t *testing.T) {
	_, _, results := typedRun(t, Typed[Counter](), "", op("MarshalJSON", nil), op("unmarshaljson", nil))
	for _, r := range results {
		if r.Failure == nil || r.Failure.ErrorType != "*entities.UnknownOperationError" {
			t.Errorf("failure = %+v", r.Failure)
		}
	}
}

// Stamp has its own JSON encoding, so it is not flat, and counts its decodes and
// encodes.
type Stamp struct{ N int }

var stampDecodes, stampEncodes int

func (s *Stamp) UnmarshalJSON(b []byte) error {
	stampDecodes++
	type plain Stamp
	return json.Unmarshal(b, (*plain)(s))
}

func (s Stamp) MarshalJSON() ([]byte, error) {
	stampEncodes++
	type plain Stamp
	return json.Marshal(plain(s))
}

func (s *Stamp) Add(n int) { s.N += n }

// Tally is flat and counts its decodes.
type Tally struct{ N int }

var tallyDecodes int

func (t *Tally) UnmarshalJSON(b []byte) error {
	tallyDecodes++
	type plain Tally
	return json.Unmarshal(b, (*plain)(t))
}

func (t *Tally) Add(n int) { t.N += n }

func TestTypedDecodesOncePerBatch(t *testing.T) {
	ops := make([]Operation, 100)
	for i := range ops {
		ops[i] = op("add", 1)
	}
	tallyDecodes = 0
	state, _, _ := typedRun(t, Typed[Tally](), `{"N":1}`, ops...)
	if state != `{"N":101}` || tallyDecodes != 1 {
		t.Errorf("flat: state %s after %d decodes, want 1", state, tallyDecodes)
	}
	stampDecodes, stampEncodes = 0, 0
	state, _, _ = typedRun(t, Typed[Stamp](), `{"N":1}`, ops...)
	if state != `{"N":101}` || stampDecodes != 1 || stampEncodes != len(ops) {
		t.Errorf("not flat: state %s after %d decodes and %d encodes, want 1 and %d", state, stampDecodes, stampEncodes, len(ops))
	}
}

func TestTypedMixedWithFunction(t *testing.T) {
	typed := Typed[Counter]()
	fn := func(ctx *Context) error {
		if ctx.Operation() == "peek" { // sees what typed operations left in the batch
			var c Counter
			if err := ctx.GetState(&c); err != nil {
				return err
			}
			return ctx.Return(c.Value)
		}
		if ctx.Operation() == "set" {
			var n int
			if err := ctx.Input(&n); err != nil {
				return err
			}
			return ctx.SetState(Counter{Value: n})
		}
		return typed(ctx)
	}
	state, got, _ := typedRun(t, fn, "", op("add", 2), op("peek", nil), op("set", 10), op("add", 1), op("peek", nil), op("get", nil))
	if state != `{"Value":11}` || fmt.Sprint(got) != "[- 2 - - 11 11]" {
		t.Errorf("state %s, results %v", state, got)
	}
}

func TestTypedLargeBatch(t *testing.T) {
	const n = 10_000
	ops := make([]Operation, n)
	for i := range ops {
		ops[i] = op("add", i+1)
	}
	ops = append(ops, op("get", nil))
	for _, tc := range []struct {
		name string
		fn   Func
	}{{"typed", Typed[Counter]()}, {"function", counterFn}} {
		state, results := Apply(ID{"counter", "big"}, tc.fn, nil, ops, batchNow)
		want := fmt.Sprint(n * (n + 1) / 2)
		if got := string(results[n].Output); got != want {
			t.Errorf("%s: total = %s, want %s (state %s)", tc.name, got, want, state)
		}
	}
}

func TestApplyLiveCarriesOnlyExactStates(t *testing.T) {
	id := ID{Name: "counter", Key: "k"}
	fn := Typed[Counter]()
	var live Live
	state, _ := ApplyLive(&live, id, fn, []byte(`{"Value":1}`), []Operation{op("add", 1)}, batchNow)
	for range 3 {
		if live.value == nil || !sameSlice(live.state, state) {
			t.Fatal("a Counter's decoded state was not kept for the next batch")
		}
		state, _ = ApplyLive(&live, id, fn, state, []Operation{op("add", 1), op("add", 1)}, batchNow)
	}
	if string(state) != `{"Value":8}` {
		t.Fatalf("state %s, want {\"Value\":8}", state)
	}

	// Equal bytes elsewhere, as after a reload from the journal, are decoded again.
	reloaded := bytes.Clone(state)
	state, _ = ApplyLive(&live, id, fn, reloaded, []Operation{op("add", 1)}, batchNow)
	if string(state) != `{"Value":9}` {
		t.Fatalf("state %s, want {\"Value\":9}", state)
	}

	// A failing operation rolls back the value kept for the next batch too.
	state, res := ApplyLive(&live, id, fn, state, []Operation{op("add", 1), op("nope", nil)}, batchNow)
	if res[1].Failure == nil {
		t.Fatal("unknown operation did not fail")
	}
	state, _ = ApplyLive(&live, id, fn, state, []Operation{op("add", 1)}, batchNow)
	if string(state) != `{"Value":11}` {
		t.Fatalf("state %s, want {\"Value\":11}", state)
	}

	// Deleting drops it.
	state, _ = ApplyLive(&live, id, fn, state, []Operation{op("delete", nil)}, batchNow)
	if state != nil || live.value != nil {
		t.Fatalf("after delete: state %s, live %v", state, live.value)
	}
}

// Hidden has a field JSON does not store: it must not survive past its batch, in memory
// or not.
type Hidden struct {
	N      int
	hidden int
}

func (h *Hidden) Bump()     { h.N++; h.hidden++ }
func (h *Hidden) Peek() int { return h.hidden }

func TestApplyLiveDoesNotCarryInexactStates(t *testing.T) {
	id := ID{Name: "hidden", Key: "k"}
	var live Live
	state, _ := ApplyLive(&live, id, Typed[Hidden](), nil, []Operation{op("bump", nil)}, batchNow)
	if live.value != nil {
		t.Fatal("a state with an unexported field was kept")
	}
	_, res := ApplyLive(&live, id, Typed[Hidden](), state, []Operation{op("peek", nil)}, batchNow)
	if string(res[0].Output) != "0" {
		t.Fatalf("the unexported field read %s in the next batch, want 0 as after a reload", res[0].Output)
	}

	tallyDecodes = 0
	state, _ = ApplyLive(&live, id, Typed[Tally](), []byte(`{"N":1}`), []Operation{op("add", 1)}, batchNow)
	ApplyLive(&live, id, Typed[Tally](), state, []Operation{op("add", 1)}, batchNow)
	if tallyDecodes != 2 {
		t.Fatalf("a state with its own decoding was decoded %d times in two batches, want 2", tallyDecodes)
	}
}

func TestExactType(t *testing.T) {
	for _, tc := range []struct {
		v     any
		exact bool
	}{
		{Counter{}, true},
		{struct {
			A [2]float64
			B bool
			C uint8 `json:"c,omitempty"`
		}{}, true},
		{Hidden{}, false},
		{Tally{}, false},
		{struct{ S string }{}, false},
		{struct {
			N int `json:"-"`
		}{}, false},
		{struct{ Counter }{}, false},
	} {
		if got := exactType(reflect.TypeOf(tc.v)); got != tc.exact {
			t.Errorf("exactType(%T) = %v, want %v", tc.v, got, tc.exact)
		}
	}
}
