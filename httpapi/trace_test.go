package httpapi_test

import (
	"net/http"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// The runtime's spans, kept in memory.
var (
	spans   = tracetest.NewSpanRecorder()
	tracing = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
)

// A start with a W3C traceparent header puts the instance in the caller's trace.
func TestStartJoinsTheCallersTrace(t *testing.T) {
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	r := call(t, "POST", api("/orchestrators/Echo/traced-1"), `"trace"`,
		"traceparent", "00-"+traceID+"-"+parentID+"-01")
	expect(t, r, http.StatusAccepted)
	pollStatus(t, api("/instances/traced-1"), "Completed")
	var create sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == "create_orchestration:Echo" && s.SpanContext().TraceID().String() == traceID {
			create = s
		}
	}
	if create == nil {
		t.Fatal("no creation span in the caller's trace")
	}
	if want, _ := trace.SpanIDFromHex(parentID); create.Parent().SpanID() != want {
		t.Fatalf("the creation hangs under %v, want the caller's %v", create.Parent().SpanID(), want)
	}
	// The status with its history names the trace.
	st := call(t, "GET", api("/instances/traced-1?showHistory=true"), "").object(t)
	if st["traceId"] != traceID {
		t.Fatalf("status traceId %v, want %s", st["traceId"], traceID)
	}
	if st := call(t, "GET", api("/instances/traced-1"), "").object(t); st["traceId"] != nil {
		t.Fatalf("status without history has traceId %v", st["traceId"])
	}
}
