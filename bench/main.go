// Command bench measures the runtime on whole scenarios: throughput, latency and memory,
// durable (fsync'd journal) by default. Every run prints its parameters and a machine
// line, and ends with one JSON line of results.
//
//	go run ./bench -scenario hello-sequence -n 20000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
)

type params struct {
	scenario string
	n        int
	inflight int
	dir      string
	inMemory bool
	progress bool
	cpuprof  string
	memprof  string
	// telemetry gives the runtime SDK providers: spans to a processor that drops them,
	// metrics to a reader nobody collects, to measure what recording costs.
	telemetry bool
	tracef    string
	entities  int
	idle      time.Duration
	members   int
	replicas  int
	// cluster is what a -members run started, for the scenarios that move partitions.
	cluster *benchCluster
}

// A scenario runs one workload on rt, which it starts, and returns the result line
// but for Scenario and, unless the scenario measured its own, PeakRSSMB, which mainErr
// fills in.
type scenario func(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error)

var scenarios = map[string]scenario{
	"hello-sequence": helloSequence,
}

func main() {
	var p params
	flag.StringVar(&p.scenario, "scenario", "hello-sequence", "scenario to run")
	flag.IntVar(&p.n, "n", 10000, "number of orchestrations (or activities, signals) to run")
	flag.IntVar(&p.inflight, "inflight", 1000, "orchestrations kept in flight at once")
	flag.StringVar(&p.dir, "data", "", "journal directory (default: a fresh temporary directory)")
	flag.BoolVar(&p.inMemory, "memory", false, "keep the journal in memory (not durable)")
	flag.BoolVar(&p.progress, "progress", true, "print a progress line on long runs")
	flag.StringVar(&p.cpuprof, "cpuprofile", "", "write a CPU profile of the measured part to this file")
	flag.StringVar(&p.memprof, "memprofile", "", "write an allocation profile of the whole run to this file")
	flag.BoolVar(&p.telemetry, "telemetry", false, "record traces and metrics (OpenTelemetry SDK, nothing exported) to measure their cost")
	flag.StringVar(&p.tracef, "trace", "", "write an execution trace of the measured part to this file (go tool trace)")
	flag.IntVar(&p.entities, "entities", 1000, "entities the entity-many and bank scenarios use")
	flag.DurationVar(&p.idle, "idle", 2*time.Second, "how long an idle instance stays in memory")
	flag.IntVar(&p.replicas, "replicas", 2, "copies of each partition in a -members run: 2 keeps a standby, 1 none")
	flag.IntVar(&p.members, "members", 0, "run as one member of a cluster of this many (others as child processes, etcd on loopback); 0: embedded")
	flag.Parse()
	run, ok := scenarios[p.scenario]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown scenario %q\n", p.scenario)
		os.Exit(2)
	}
	if err := mainErr(run, p); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func mainErr(run scenario, p params) error {
	if dir := os.Getenv(recoveryChildEnv); dir != "" {
		p.dir = dir
		return recoveryChild(p)
	}
	if settings := os.Getenv(memberChildEnv); settings != "" {
		return memberChild(p, settings)
	}
	moves := p.scenario == "failover" || p.scenario == "handoff"
	if moves && p.members == 0 {
		p.members = 3
	}
	if p.members > 0 && (!moves && p.scenario != "hello-sequence" || p.inMemory) {
		return fmt.Errorf("-members runs the hello-sequence, failover and handoff scenarios on a durable journal")
	}
	if p.dir == "" && !p.inMemory {
		d, err := os.MkdirTemp("", "durable-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		p.dir = d
	}
	fmt.Printf("params: scenario=%s n=%d inflight=%d entities=%d idle=%v durable=%v members=%d dir=%s\n",
		p.scenario, p.n, p.inflight, p.entities, p.idle, !p.inMemory, p.members, p.dir)
	fmt.Printf("machine: %s\n", measure.Machine())
	cfg := durable.Config{Dir: p.dir, InMemory: p.inMemory, IdleTimeout: p.idle,
		Logger: benchLogger()}
	if p.telemetry {
		// Every span is recorded and sampled, then dropped: what a real exporter costs
		// beyond that is its own.
		cfg.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
		cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	}
	if p.inMemory {
		cfg.Dir = ""
	}
	var members *benchCluster
	if p.members > 0 {
		var err error
		if members, cfg.Cluster, err = startCluster(p); err != nil {
			return err
		}
		defer members.stop()
		cfg.Dir = filepath.Join(p.dir, "member1")
		p.cluster = members
	}
	rt, err := durable.Open(cfg)
	if err != nil {
		return err
	}
	defer rt.Close()
	if members != nil {
		// The scenario registers its workload before it starts any instance; the
		// member must join first, so the others see it and partitions settle.
		if err := rt.Start(); err != nil {
			return err
		}
		if err := waitMembers(context.Background(), rt, p.members, p.replicas); err != nil {
			return err
		}
	}
	var cpuBefore []float64
	if members != nil {
		cpuBefore = members.cpuSeconds()
	}
	stopProfile, err := record(p.cpuprof, pprof.StartCPUProfile, pprof.StopCPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	stopTrace, err := record(p.tracef, trace.Start, trace.Stop)
	if err != nil {
		return err
	}
	defer stopTrace()
	res, err := run(context.Background(), rt, p)
	if err != nil {
		return err
	}
	if p.memprof != "" {
		if err := writeHeapProfile(p.memprof); err != nil {
			return err
		}
	}
	res.Scenario = p.scenario
	if members != nil && !moves {
		res.Members = p.members
		var total float64
		for i, after := range members.cpuSeconds() {
			used := after - cpuBefore[i]
			total += used
			fmt.Printf("member %d: %.2f s of CPU, %.3f ms per orchestration\n", i+1, used, used*1000/float64(p.n))
		}
		res.CPUPerOrchestrationMs = total * 1000 / float64(p.n)
		if info, err := rt.Client().Cluster(context.Background()); err == nil {
			fmt.Printf("member 1: sent %d activities to other members, ran %d for them; its standbys applied %d appends\n",
				info.ActivitiesSent, info.ActivitiesRun, info.Replication.Replicated)
		}
	}
	if res.PeakRSSMB == 0 {
		res.PeakRSSMB = measure.PeakRSSMB()
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	return nil
}

// writeHeapProfile writes the allocations made so far; read them with
// go tool pprof -sample_index=alloc_space.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// record starts a recorder (CPU profile, execution trace) writing to path, and returns
// what stops it and closes the file; an empty path records nothing.
func record(path string, start func(io.Writer) error, stop func()) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { stop(); f.Close() }, nil
}
