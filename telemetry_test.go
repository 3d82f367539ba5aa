package durable_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

// The shared runtime records its spans and metrics in memory, for these tests.
var (
	spans   = tracetest.NewSpanRecorder()
	tracing = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	metrics = sdkmetric.NewManualReader()
	meters  = sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics))
)

func init() {
	extraRegistrations = append(extraRegistrations, func(rt *durable.Runtime) {
		must(rt.RegisterOrchestrator("Traced", func(ctx *orchestrator.Context, round int) (string, error) {
			hello, err := orchestrator.CallActivity[string](ctx, "Hello", "trace").Await()
			if err != nil {
				return "", err
			}
			if err := ctx.CreateTimer(time.Millisecond).Await(); err != nil {
				return "", err
			}
			if _, err := orchestrator.CallSubOrchestrator[[]string](ctx, "Hello3", "child").Await(); err != nil {
				return "", err
			}
			if _, err := orchestrator.CallEntity[int](ctx, entities.ID{Name: "Counter", Key: ctx.InstanceID()}, "add", 1).Await(); err != nil {
				return "", err
			}
			if round == 0 {
				return "", ctx.ContinueAsNew(1)
			}
			return hello, nil
		}))
	})
}

// One trace holds an instance's life: the caller's span, the instance's creation,
// its activities, timers, sub-orchestration (with the child's own work under it),
// entity operations, and a span per execution (here two: it continues as new once).
func TestTraceOfAnInstance(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx, caller := tracing.Tracer("test").Start(ctx, "caller")
	c := rt.Client()
	id, err := c.Start(ctx, "Traced", 0)
	must(err)
	caller.End()
	if st, err := c.WaitForCompletion(ctx, id); err != nil || st.RuntimeStatus != durable.StatusCompleted {
		t.Fatalf("Traced: %+v, %v", st, err)
	}
	traceID := caller.SpanContext().TraceID()
	var mine []sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.SpanContext().TraceID() == traceID {
			mine = append(mine, s)
		}
	}
	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range mine {
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	one := func(name string) sdktrace.ReadOnlySpan {
		t.Helper()
		if len(byName[name]) == 0 {
			t.Fatalf("no %q span in the trace; it holds %v", name, names(mine))
		}
		return byName[name][0]
	}
	create := one("create_orchestration:Traced")
	if create.Parent().SpanID() != caller.SpanContext().SpanID() {
		t.Errorf("the creation hangs under %v, not the caller's span", create.Parent().SpanID())
	}
	under := func(name string, parent sdktrace.ReadOnlySpan, want int) {
		t.Helper()
		got := 0
		for _, s := range byName[name] {
			if s.Parent().SpanID() == parent.SpanContext().SpanID() {
				got++
			}
		}
		if got != want {
			t.Errorf("%d %q spans under %q, want %d; the trace holds %v", got, name, parent.Name(), want, names(mine))
		}
	}
	// Both executions: the instance's trace is carried into the next one.
	under("orchestration:Traced", create, 2)
	under("activity:Hello", create, 2)
	under("timer", create, 2)
	under("entity:counter/add", create, 2) // entity names are case-insensitive, kept lower-cased
	under("create_orchestration:Hello3", create, 2)
	child := one("create_orchestration:Hello3")
	under("orchestration:Hello3", child, 1)
	under("activity:Hello", child, 3)
	for _, s := range byName["orchestration:Traced"] {
		if s.EndTime().Before(s.StartTime()) || !has(s.Attributes(), "durable.instance_id", id) {
			t.Errorf("orchestration span %v..%v %v", s.StartTime(), s.EndTime(), s.Attributes())
		}
	}
	if timer := one("timer"); !timer.EndTime().After(timer.StartTime()) {
		t.Errorf("the timer span is empty: %v..%v", timer.StartTime(), timer.EndTime())
	}
}

// The metrics a scrape shows after an instance ran.
func TestMetricsOfARun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := rt.Client()
	id, err := c.Start(ctx, "Hello3", "metrics")
	must(err)
	if _, err := c.WaitForCompletion(ctx, id); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	must(metrics.Collect(ctx, &rm))
	seen := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			seen[m.Name] = m.Data
		}
	}
	for _, name := range []string{"durable.orchestrations.started", "durable.orchestrations.ended", "durable.activity.duration",
		"durable.turn.duration", "durable.journal.commit.duration", "durable.journal.commit.batch_size",
		"durable.instances.active", "durable.actors.idle", "durable.timers.pending", "durable.courier.queued"} {
		if seen[name] == nil {
			t.Errorf("no %s in %v", name, keys(seen))
		}
	}
	started, _ := seen["durable.orchestrations.started"].(metricdata.Sum[int64])
	count := int64(0)
	for _, p := range started.DataPoints {
		if v, _ := p.Attributes.Value("durable.name"); v.AsString() == "Hello3" {
			count = p.Value
		}
	}
	if count < 1 {
		t.Errorf("started Hello3: %d, want at least 1 (%+v)", count, started)
	}
	acts, _ := seen["durable.activity.duration"].(metricdata.Histogram[float64])
	hello := uint64(0)
	for _, p := range acts.DataPoints {
		if v, _ := p.Attributes.Value("durable.name"); v.AsString() == "Hello" {
			hello += p.Count
		}
	}
	if hello < 3 {
		t.Errorf("activity Hello ran %d times by the histogram, want at least 3", hello)
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, fmt.Sprintf("%s<%s", s.Name(), s.Parent().SpanID()))
	}
	return out
}

func has(attrs []attribute.KeyValue, key, value string) bool {
	for _, a := range attrs {
		if string(a.Key) == key && a.Value.AsString() == value {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
