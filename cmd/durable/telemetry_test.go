package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is an OTLP/HTTP trace receiver that keeps the names of the spans it gets.
type collector struct {
	mu    sync.Mutex
	names map[string]int
	got   chan struct{} // a value after each export
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.names[s.Name]++
			}
		}
	}
	c.mu.Unlock()
	select {
	case c.got <- struct{}{}:
	default:
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(nil)
}

func (c *collector) has(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.names[name] > 0
}

// `durable serve` answers health checks, serves its metrics to a Prometheus scrape,
// and exports each instance's trace over OTLP.
func TestServeTelemetry(t *testing.T) {
	col := &collector{names: map[string]int{}, got: make(chan struct{}, 1)}
	receiver := httptest.NewServer(col)
	defer receiver.Close()
	s := startServer(t, t.TempDir(), "--api-key", "k", "--otlp", strings.TrimPrefix(receiver.URL, "http://"))
	s.key = "k"
	s.ok("run", "Chaining", "--id", "traced-chain")

	get := func(path string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.url+path, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(p); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
			t.Errorf("%s without a key: %d %q", p, code, body)
		}
	}
	if code, _ := get("/metrics"); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the key: %d, want 401", code)
	}
	code, scrape := get("/metrics", "x-functions-key", "k")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, scrape)
	}
	for _, want := range []string{`durable_orchestrations_started_total{durable_name="Chaining"`, `durable_orchestrations_ended_total{durable_name="Chaining",durable_status="Completed"`,
		"durable_activity_duration_seconds_bucket", "durable_journal_fsyncs_total", "durable_journal_commit_duration_seconds_count",
		"durable_instances_active", "durable_timers_pending"} {
		if !strings.Contains(scrape, want) {
			t.Errorf("the scrape lacks %s", want)
		}
	}
	// The batcher exports every few seconds, and at shutdown.
	s.stop()
	deadline := time.After(10 * time.Second)
	for !col.has("orchestration:Chaining") {
		select {
		case <-col.got:
		case <-deadline:
			t.Fatalf("no orchestration span exported; got %v", col.names)
		}
	}
	for _, name := range []string{"create_orchestration:Chaining", "activity:F1"} {
		if !col.has(name) {
			t.Errorf("no %q span exported; got %v", name, col.names)
		}
	}
}
