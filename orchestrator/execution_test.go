package orchestrator

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable/history"
)

func chain(ctx *Context, input []byte) ([]byte, error) {
	var s string
	_ = json.Unmarshal(input, &s)
	for _, name := range []string{"F1", "F2", "F3"} {
		var err error
		s, err = CallActivity[string](ctx, name, s).Await()
		if err != nil {
			return nil, err
		}
	}
	return json.Marshal(s)
}

func TestChainingLiveAndCold(t *testing.T) {
	for _, cold := range []bool{false, true} {
		d := newDriver(t, chain)
		d.cold = cold
		for _, n := range []string{"F1", "F2", "F3"} {
			d.activity(n, echo(n))
		}
		tr := d.runToEnd(d.start("x"))
		if tr.Status != history.StatusCompleted {
			t.Fatalf("cold=%v: status %v failure %+v", cold, tr.Status, tr.Failure)
		}
		if got := string(tr.Output); got != `"F3(F2(F1(x)))"` {
			t.Fatalf("cold=%v: output %s", cold, got)
		}
		if d.calls["F1"] != 1 || d.calls["F3"] != 1 {
			t.Fatalf("activities ran %v", d.calls)
		}
	}
}

func TestFanOutFanIn(t *testing.T) {
	fn := func(ctx *Context, _ []byte) ([]byte, error) {
		var tasks []*Task[int]
		var all []Awaitable
		for i := 0; i < 50; i++ {
			tk := CallActivity[int](ctx, "Double", i)
			tasks = append(tasks, tk)
			all = append(all, tk)
		}
		if err := WhenAll(ctx, all...); err != nil {
			return nil, err
		}
		sum := 0
		for _, tk := range tasks {
			v, _ := tk.Await()
			sum += v
		}
		return json.Marshal(sum)
	}
	d := newDriver(t, fn)
	d.cold = true
	d.activity("Double", func(in []byte) ([]byte, error) {
		var i int
		_ = json.Unmarshal(in, &i)
		return json.Marshal(2 * i)
	})
	tr := d.runToEnd(d.start(nil))
	if tr.Status != history.StatusCompleted || string(tr.Output) != "2450" {
		t.Fatalf("status %v output %s failure %+v", tr.Status, tr.Output, tr.Failure)
	}
}

func TestActivityFailureIsCatchable(t *testing.T) {
	fn := func(ctx *Context, _ []byte) ([]byte, error) {
		_, err := CallActivity[string](ctx, "Boom", nil).Await()
		var tf *TaskFailedError
		if !errors.As(err, &tf) {
			return nil, errors.New("expected TaskFailedError")
		}
		return json.Marshal(tf.Failure.Message + "|" + tf.Name)
	}
	d := newDriver(t, fn)
	d.activity("Boom", func([]byte) ([]byte, error) { return nil, errors.New("kaboom") })
	tr := d.runToEnd(d.start(nil))
	if string(tr.Output) != `"kaboom|Boom"` {
		t.Fatalf("output %s status %v %+v", tr.Output, tr.Status, tr.Failure)
	}
}

func TestRetryIsDurable(t *testing.T) {
	fn := func(ctx *Context, _ []byte) ([]byte, error) {
		v, err := CallActivity[string](ctx, "Flaky", nil, WithRetry(RetryPolicy{
			MaxAttempts: 4, FirstInterval: time.Second, BackoffCoefficient: 2,
		})).Await()
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
	d := newDriver(t, fn)
	d.cold = true
	n := 0
	d.activity("Flaky", func([]byte) ([]byte, error) {
		n++
		if n < 3 {
			return nil, errors.New("not yet")
		}
		return json.Marshal("ok")
	})
	start := d.now
	tr := d.runToEnd(d.start(nil))
	if tr.Status != history.StatusCompleted || string(tr.Output) != `"ok"` {
		t.Fatalf("status %v output %s %+v", tr.Status, tr.Output, tr.Failure)
	}
	if n != 3 {
		t.Fatalf("attempts %d", n)
	}
	// Waits of 1 s then 2 s were timers in history.
	if waited := d.now.Sub(start); waited < 3*time.Second {
		t.Fatalf("waited %v", waited)
	}
}

func TestNonDeterminismDetected(t *testing.T) {
	d := newDriver(t, chain)
	d.cold = true
	for _, n := range []string{"F1", "F2", "F3"} {
		d.activity(n, echo(n))
	}
	tr := d.start("x")
	tr = d.turn(d.runActivity(tr.Events[len(tr.Events)-1]))
	// The code changes: now it calls G2 where history has F2.
	d.fn = func(ctx *Context, input []byte) ([]byte, error) {
		s, _ := CallActivity[string](ctx, "F1", "x").Await()
		s, _ = CallActivity[string](ctx, "G2", s).Await()
		return json.Marshal(s)
	}
	tr = d.turn(d.runActivity(tr.Events[len(tr.Events)-1]))
	if tr.Status != history.StatusFailed {
		t.Fatalf("status %v", tr.Status)
	}
	if !strings.Contains(tr.Failure.Message, `history has TaskScheduled "F2", code did TaskScheduled "G2"`) {
		t.Fatalf("failure %q", tr.Failure.Message)
	}
}

func TestExternalEventTimeoutAndBuffering(t *testing.T) {
	fn := func(ctx *Context, _ []byte) ([]byte, error) {
		v, err := WaitForExternalEvent[string](ctx, "Approval", WithTimeout(time.Hour)).Await()
		if errors.Is(err, ErrTimedOut) {
			return json.Marshal("timeout")
		}
		return json.Marshal(v)
	}
	d := newDriver(t, fn)
	d.cold = true
	d.start(nil)
	tr := d.turn(history.Event{Type: history.EventEventRaised, Name: "APPROVAL", Input: []byte(`"yes"`)})
	if string(tr.Output) != `"yes"` || tr.Status != history.StatusCompleted {
		t.Fatalf("output %s status %v", tr.Output, tr.Status)
	}
	if len(tr.CancelledTimers) != 1 {
		t.Fatalf("timeout timer not cancelled: %+v", tr.CancelledTimers)
	}
	d2 := newDriver(t, fn)
	tr = d2.runToEnd(d2.start(nil))
	if string(tr.Output) != `"timeout"` {
		t.Fatalf("output %s", tr.Output)
	}
}

func TestPanicFailsInstance(t *testing.T) {
	d := newDriver(t, func(ctx *Context, _ []byte) ([]byte, error) { panic("oops") })
	tr := d.start(nil)
	if tr.Status != history.StatusFailed || tr.Failure.ErrorType != "panic" || !strings.Contains(tr.Failure.Stack, "execution_test") {
		t.Fatalf("%v %+v", tr.Status, tr.Failure)
	}
}

func TestOversizedActivityInputFailsTheCallNamingIt(t *testing.T) {
	fn := func(ctx *Context, _ []byte) ([]byte, error) {
		_, err := CallActivity[string](ctx, "Upload", strings.Repeat("x", 2<<20)).Await()
		var tooLarge *PayloadTooLargeError
		if !errors.As(err, &tooLarge) {
			return nil, fmt.Errorf("got %v, want a PayloadTooLargeError", err)
		}
		return json.Marshal(tooLarge.What)
	}
	d := newDriver(t, fn)
	tr := d.runToEnd(d.start(nil))
	if string(tr.Output) != `"input of activity \"Upload\""` {
		t.Fatalf("output %s status %v %+v", tr.Output, tr.Status, tr.Failure)
	}
	if d.calls["Upload"] != 0 {
		t.Fatal("the activity ran with an oversized input")
	}
}
