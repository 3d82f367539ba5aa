package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.21.0"

	"github.com/godurable/durable"
	"github.com/godurable/durable/httpapi"
)

// telemetry is what serve records: metrics always (scraped at /metrics), traces when
// an OTLP endpoint is named.
type telemetry struct {
	meters  *sdkmetric.MeterProvider
	tracing *sdktrace.TracerProvider // nil: no traces
	metrics http.Handler
}

// newTelemetry sets up the providers. otlp is an OTLP/HTTP endpoint (host:port, or a
// URL); without one, the standard OTEL_EXPORTER_OTLP_ENDPOINT and
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT variables turn traces on.
func newTelemetry(otlp string) (*telemetry, error) {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(serviceName())))
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	t := &telemetry{
		meters:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res)),
		metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}
	if otlp == "" && os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return t, nil
	}
	var opts []otlptracehttp.Option
	if otlp != "" {
		if opts, err = otlpOptions(otlp); err != nil {
			return nil, err
		}
	}
	spans, err := otlptracehttp.New(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("--otlp: %w", err)
	}
	t.tracing = sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans), sdktrace.WithResource(res))
	return t, nil
}

// serviceName is the service the telemetry names: OTEL_SERVICE_NAME, or "durable".
func serviceName() string {
	if n := os.Getenv("OTEL_SERVICE_NAME"); n != "" {
		return n
	}
	return "durable"
}

// otlpOptions points the exporter at endpoint: host:port (plain HTTP, the collector's
// default path) or an http:// or https:// URL.
func otlpOptions(endpoint string) ([]otlptracehttp.Option, error) {
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, usagef("--otlp: %q is neither HOST:PORT nor an http(s) URL", endpoint)
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(u.Host)}
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	if u.Path != "" && u.Path != "/" {
		opts = append(opts, otlptracehttp.WithURLPath(u.Path))
	}
	return opts, nil
}

// config gives the runtime the providers.
func (t *telemetry) config(cfg *durable.Config) {
	cfg.MeterProvider = t.meters
	if t.tracing != nil {
		cfg.TracerProvider = t.tracing
	}
}

// shutdown flushes the spans still buffered.
func (t *telemetry) shutdown(ctx context.Context) error {
	var err error
	if t.tracing != nil {
		err = t.tracing.Shutdown(ctx)
	}
	return errors.Join(err, t.meters.Shutdown(ctx))
}

// health mounts /healthz (the process answers) and /readyz (the runtime reads its
// journal within a second), for load balancers and orchestrators; neither needs the
// API key, nor tells anything about instances. /metrics takes the key when one is set.
func (t *telemetry) mount(mux *http.ServeMux, c *durable.Client, key string) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if _, err := c.List(ctx, durable.Query{PageSize: 1}); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", err)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", httpapi.RequireKey(key, t.metrics))
}
