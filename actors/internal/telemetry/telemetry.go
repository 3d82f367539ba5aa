// Package telemetry records the runtime's traces and metrics with the OpenTelemetry
// API. A nil *T records nothing, at the cost of a nil check: a runtime given no
// providers pays nothing else.
//
// An instance's trace is carried in its journal as a W3C traceparent (ExecutionStarted),
// so that it survives a restart and a continue-as-new. Spans of work that outlives the
// process (the orchestration, a durable timer) are emitted when that work ends, with
// the times the journal kept; the others (an activity, an entity operation) as they
// run. Every span of an instance hangs under the span that created it (Start, or the
// parent's scheduling of a sub-orchestration), since the orchestration's own span is
// emitted only at its end.
package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/godurable/durable/history"
)

// scope names the instrumentation.
const scope = "github.com/godurable/durable"

// Attribute keys.
const (
	keyInstanceID  = attribute.Key("durable.instance_id")
	keyExecutionID = attribute.Key("durable.execution_id")
	keyName        = attribute.Key("durable.name")
	keyStatus      = attribute.Key("durable.status")
	keyTaskID      = attribute.Key("durable.task_id")
	keyEntity      = attribute.Key("durable.entity")
	keyOperation   = attribute.Key("durable.operation")
	keyOutcome     = attribute.Key("durable.outcome")
	keyFireAt      = attribute.Key("durable.fire_at")
	keyBatch       = attribute.Key("durable.batch_size")
)

// T holds the tracer and the instruments. Its methods are safe on a nil T.
type T struct {
	tracer trace.Tracer // nil: no traces

	started, ended     metric.Int64Counter
	activity, entityOp metric.Float64Histogram
	turn               metric.Float64Histogram
	meter              metric.Meter // nil: no metrics
	names              attrCache
	prop               propagation.TraceContext
}

// New returns the telemetry of a runtime given these providers, or nil when both are
// nil.
func New(tp trace.TracerProvider, mp metric.MeterProvider) (*T, error) {
	if tp == nil && mp == nil {
		return nil, nil
	}
	t := &T{}
	if tp != nil {
		t.tracer = tp.Tracer(scope)
	}
	if mp != nil {
		m := mp.Meter(scope)
		t.meter = m
		var err error
		must := func(e error) {
			if err == nil {
				err = e
			}
		}
		var e error
		t.started, e = m.Int64Counter("durable.orchestrations.started", metric.WithDescription("Orchestration executions started, by name."))
		must(e)
		t.ended, e = m.Int64Counter("durable.orchestrations.ended", metric.WithDescription("Orchestration executions ended, by name and status (Completed, Failed, Terminated, ContinuedAsNew)."))
		must(e)
		t.activity, e = m.Float64Histogram("durable.activity.duration", metric.WithUnit("s"), metric.WithDescription("Activity run time, by name and outcome."))
		must(e)
		t.entityOp, e = m.Float64Histogram("durable.entity.operation.duration", metric.WithUnit("s"), metric.WithDescription("Entity operation time, by entity name and outcome."))
		must(e)
		t.turn, e = m.Float64Histogram("durable.turn.duration", metric.WithUnit("s"), metric.WithDescription("An instance turn, from its first request to its commit."))
		must(e)
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Meter returns the meter, or nil when metrics are off.
func (t *T) Meter() metric.Meter {
	if t == nil {
		return nil
	}
	return t.meter
}

// Tracing reports whether spans are recorded.
func (t *T) Tracing() bool { return t != nil && t.tracer != nil }

// Metrics reports whether metrics are recorded.
func (t *T) Metrics() bool { return t != nil && t.meter != nil }

// Parent returns ctx with the span context of traceparent, if it names one.
func (t *T) Parent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return t.prop.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}

// traceparent returns the W3C traceparent of the span in ctx.
func (t *T) traceparent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	t.prop.Inject(ctx, c)
	return c["traceparent"]
}

// Create records the creation of an orchestration instance under the span of ctx (a
// client's) or of parent (an orchestration's traceparent, for a sub-orchestration),
// and returns the traceparent the instance's spans hang under; "" when tracing is off.
func (t *T) Create(ctx context.Context, parent, name, instanceID string) string {
	if !t.Tracing() {
		return ""
	}
	ctx, span := t.tracer.Start(t.Parent(ctx, parent), "create_orchestration:"+name, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(keyName.String(name), keyInstanceID.String(instanceID)))
	span.End()
	return t.traceparent(ctx)
}

// Started counts an execution's start.
func (t *T) Started(name string) {
	if t.Metrics() {
		t.started.Add(context.Background(), 1, t.names.of(name, "", ""))
	}
}

// Ended records an execution's end: its span, from start to end, and the count.
func (t *T) Ended(traceparent, name, instanceID, executionID string, status history.RuntimeStatus, failure *history.Failure,
	start, end time.Time) {
	if t.Metrics() {
		t.ended.Add(context.Background(), 1, t.names.of(name, keyStatus, status.String()))
	}
	if !t.Tracing() {
		return
	}
	_, span := t.tracer.Start(t.Parent(context.Background(), traceparent), "orchestration:"+name,
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start),
		trace.WithAttributes(keyName.String(name), keyInstanceID.String(instanceID), keyExecutionID.String(executionID),
			keyStatus.String(status.String())))
	if failure != nil {
		span.SetStatus(codes.Error, failure.Message)
	}
	span.End(trace.WithTimestamp(end))
}

// Activity starts an activity's span under traceparent; the returned function ends it
// and records the run time. ctx carries the span to the activity's code.
func (t *T) Activity(ctx context.Context, traceparent, name, instanceID string, taskID int64) (context.Context, func(failure *history.Failure)) {
	if t == nil {
		return ctx, func(*history.Failure) {}
	}
	began := time.Now()
	var span trace.Span
	if t.Tracing() {
		ctx, span = t.tracer.Start(t.Parent(ctx, traceparent), "activity:"+name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(keyName.String(name), keyInstanceID.String(instanceID), keyTaskID.Int64(taskID)))
	}
	return ctx, func(failure *history.Failure) {
		if t.Metrics() {
			t.activity.Record(context.Background(), time.Since(began).Seconds(), t.names.of(name, keyOutcome, outcome(failure)))
		}
		if span != nil {
			if failure != nil {
				span.SetStatus(codes.Error, failure.Message)
			}
			span.End()
		}
	}
}

// Timer records a durable timer that fired: its span runs from its creation to now.
func (t *T) Timer(traceparent, instanceID string, created, fireAt, fired time.Time) {
	if !t.Tracing() {
		return
	}
	if created.IsZero() || created.After(fired) {
		created = fired
	}
	_, span := t.tracer.Start(t.Parent(context.Background(), traceparent), "timer", trace.WithTimestamp(created),
		trace.WithAttributes(keyInstanceID.String(instanceID), keyFireAt.String(fireAt.UTC().Format(time.RFC3339Nano))))
	span.End(trace.WithTimestamp(fired))
}

// EntityOperation records one operation of an entity, applied in a batch of batch
// operations between start and end: its span is the batch's, and its time the batch's
// mean.
func (t *T) EntityOperation(traceparent, entityName, entityID, op string, failure *history.Failure, start, end time.Time, batch int) {
	if t.Metrics() {
		t.entityOp.Record(context.Background(), end.Sub(start).Seconds()/float64(max(batch, 1)),
			t.names.of(entityName, keyOutcome, outcome(failure)))
	}
	if !t.Tracing() || traceparent == "" {
		return
	}
	_, span := t.tracer.Start(t.Parent(context.Background(), traceparent), "entity:"+entityName+"/"+op,
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start),
		trace.WithAttributes(keyEntity.String(entityID), keyOperation.String(op), keyBatch.Int(batch)))
	if failure != nil {
		span.SetStatus(codes.Error, failure.Message)
	}
	span.End(trace.WithTimestamp(end))
}

// Signal returns the traceparent a client's entity signal carries: the span of ctx,
// with a span of its own for the signal.
func (t *T) Signal(ctx context.Context, entityID, op string) string {
	if !t.Tracing() {
		return ""
	}
	ctx, span := t.tracer.Start(ctx, "signal_entity:"+op, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(keyEntity.String(entityID), keyOperation.String(op)))
	span.End()
	return t.traceparent(ctx)
}

// Gauge is a value observed when metrics are collected.
type Gauge struct {
	Name, Description string
	Value             func() int
}

// Observe registers gauges, read at each collection.
func (t *T) Observe(gauges ...Gauge) error {
	if !t.Metrics() {
		return nil
	}
	for _, g := range gauges {
		value := g.Value
		if _, err := t.meter.Int64ObservableGauge(g.Name, metric.WithDescription(g.Description),
			metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
				o.Observe(int64(value()))
				return nil
			})); err != nil {
			return err
		}
	}
	return nil
}

// Turn records how long an instance turn took, from its first request to its commit.
func (t *T) Turn(d time.Duration) {
	if t.Metrics() {
		t.turn.Record(context.Background(), d.Seconds())
	}
}

func outcome(f *history.Failure) string {
	if f != nil {
		return "failed"
	}
	return "succeeded"
}
