package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/memjournal"
)

// One host per test binary: protoactor races with itself when two members share a
// process, and starting one takes a second.
var host *Host

// corruptOne reports one instance's journal as corrupt, as the Badger journal does
// when a stored value fails its checksum.
type corruptOne struct {
	persistence.Journal
	bad string
}

// Append refuses instances whose id starts with "nospace-", as a journal on a full
// disk does.
func (c corruptOne) Append(b *persistence.Batch, done func(error)) {
	if strings.HasPrefix(b.InstanceID, "nospace-") {
		done(fmt.Errorf("%w: disk full", persistence.ErrUnavailable))
		return
	}
	if strings.HasPrefix(b.InstanceID, "failed-") {
		done(fmt.Errorf("%w: input/output error", persistence.ErrJournalFailed))
		return
	}
	c.Journal.Append(b, done)
}

func (c corruptOne) Load(ctx context.Context, id string) (*persistence.Instance, []history.Event, error) {
	if id == c.bad {
		return nil, nil, &persistence.CorruptionError{InstanceID: id, Key: "h/" + id, Err: errors.New("checksum mismatch")}
	}
	return c.Journal.Load(ctx, id)
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(entityCrashEnv); dir != "" {
		entityCrashChild(dir)
		return
	}
	reg := NewRegistry()
	reg.AddActivity("Echo", func(_ context.Context, in []byte) ([]byte, error) { return in, nil })
	reg.AddOrchestrator("Nap", func(ctx *orchestrator.Context, _ []byte) ([]byte, error) {
		if err := ctx.CreateTimer(500 * time.Millisecond).Await(); err != nil {
			return nil, err
		}
		return orchestrator.CallActivity[json.RawMessage](ctx, "Echo", "rested").Await()
	})
	reg.AddOrchestrator("Wait", func(ctx *orchestrator.Context, _ []byte) ([]byte, error) {
		return orchestrator.WaitForExternalEvent[json.RawMessage](ctx, "Go").Await()
	})
	registerGated(reg)
	var err error
	host, err = Start(Config{Journal: corruptOne{Journal: memjournal.New(), bad: "broken"}, Registry: reg, IdleTimeout: 100 * time.Millisecond,
		TracerProvider: tracing})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	code := m.Run()
	host.Close(context.Background())
	os.Exit(code)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func waitRow(t *testing.T, ctx context.Context, id string) *persistence.Instance {
	t.Helper()
	row, err := host.Wait(ctx, id, UntilFinished)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func TestCorruptInstanceDoesNotStopOthers(t *testing.T) {
	ctx := ctxT(t)
	err := host.RaiseEvent(ctx, "broken", "Go", []byte(`1`))
	if err == nil || !strings.Contains(err.Error(), `instance "broken" is corrupt`) {
		t.Fatalf("raise to corrupt instance: %v", err)
	}
	id, err := host.Start(ctx, "Wait", nil, StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := host.RaiseEvent(ctx, id, "Go", []byte(`"fine"`)); err != nil {
		t.Fatal(err)
	}
	if row := waitRow(t, ctx, id); row.Status != history.StatusCompleted || string(row.Output) != `"fine"` {
		t.Fatalf("healthy instance: %v %s", row.Status, row.Output)
	}
}

// An instance waiting on a timer leaves memory after the idle timeout; the durable
// timer activates it again.
func TestTimerWakesPassivatedInstance(t *testing.T) {
	ctx := ctxT(t)
	id, err := host.Start(ctx, "Nap", nil, StartOptions{InstanceID: "napper"})
	if err != nil {
		t.Fatal(err)
	}
	passivated := false
	for !passivated {
		row, err := host.env.Journal.Get(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		if row.Status.IsTerminal() {
			t.Fatal("finished before it was seen passivated")
		}
		passivated = !host.isActive(id)
		time.Sleep(5 * time.Millisecond)
	}
	if row := waitRow(t, ctx, id); row.Status != history.StatusCompleted || string(row.Output) != `"rested"` {
		t.Fatalf("%v %s", row.Status, row.Output)
	}
}

// The spans the host records, for the tests to read.
var (
	spans   = tracetest.NewSpanRecorder()
	tracing = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
)

// An instance's trace survives its leaving memory: the activity it runs after a
// durable timer woke it again hangs under the span that created it, read back from
// its history.
func TestTraceSurvivesPassivation(t *testing.T) {
	ctx, caller := tracing.Tracer("test").Start(ctxT(t), "caller")
	caller.End()
	id, err := host.Start(ctx, "Nap", nil, StartOptions{InstanceID: "traced-napper"})
	if err != nil {
		t.Fatal(err)
	}
	for passivated := false; !passivated; {
		row, err := host.env.Journal.Get(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		if row.Status.IsTerminal() {
			t.Fatal("finished before it was seen passivated")
		}
		passivated = !host.isActive(id)
		time.Sleep(5 * time.Millisecond)
	}
	if row := waitRow(t, ctx, id); row.Status != history.StatusCompleted {
		t.Fatalf("%v", row.Status)
	}
	var create, activity sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.SpanContext().TraceID() != caller.SpanContext().TraceID() {
			continue
		}
		switch s.Name() {
		case "create_orchestration:Nap":
			create = s
		case "activity:Echo":
			activity = s
		}
	}
	if create == nil || activity == nil {
		t.Fatalf("creation %v, activity %v: not both in the caller's trace", create, activity)
	}
	if activity.Parent().SpanID() != create.SpanContext().SpanID() {
		t.Fatalf("the activity after the reload hangs under %v, not the creation %v", activity.Parent().SpanID(), create.SpanContext().SpanID())
	}
}

// A request the journal cannot record for now fails at once as unavailable, and
// leaves nothing behind.
func TestUnavailableJournalRefusesAtOnce(t *testing.T) {
	ctx := ctxT(t)
	_, err := host.Start(ctx, "Wait", nil, StartOptions{InstanceID: "nospace-1"})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("start on a full journal: %v", err)
	}
	if _, _, err := host.Get(ctx, "nospace-1", false); !errors.Is(err, ErrInstanceNotFound) {
		t.Fatalf("refused start left %v", err)
	}
	// A journal that failed a write takes nothing until the process reopens it: the
	// same prompt refusal, not retries.
	if _, err := host.Start(ctx, "Wait", nil, StartOptions{InstanceID: "failed-1"}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("start on a failed journal: %v", err)
	}
}
