package durable

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/godurable/durable/actors"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/internal/typed"
	"github.com/godurable/durable/orchestrator"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Config configures a Runtime. Zero fields take the defaults noted.
type Config struct {
	// Dir is where the embedded journal keeps its data (default "./data").
	Dir string
	// InMemory keeps the journal in memory: nothing survives Close. For tests.
	InMemory bool
	// Journal replaces the embedded journal; the Runtime does not close it.
	Journal persistence.Journal
	// Logger receives the runtime's records (default slog.Default()).
	Logger *slog.Logger
	// ActorLogger receives the actor system's own records; nil keeps it silent.
	ActorLogger *slog.Logger
	// ActivityWorkers bounds how many activities run at once (default 64).
	ActivityWorkers int
	// IdleTimeout is how long an idle instance stays in memory (default 30 s).
	IdleTimeout time.Duration
	// MaxIdleInstances bounds the idle instances and entities kept in memory; past it
	// the least recently used are unloaded at once (default 10,000).
	MaxIdleInstances int
	// MaxPayloadBytes caps every input, output, result and event payload (default 1 MiB).
	MaxPayloadBytes int
	// Cluster, when set, makes the runtime one member of a cluster of many; nil: the
	// runtime is on its own (embedded mode: no etcd, nothing listening for others).
	Cluster *ClusterConfig
	// TracerProvider receives a trace per orchestration instance: a span for the
	// orchestration (emitted when its execution ends), each activity, durable timer,
	// sub-orchestration and entity operation, under the span of the call that started
	// it. The trace context is kept in the journal, so a trace survives restarts and
	// continue-as-new. nil: no spans (pass otel.GetTracerProvider() for the global one).
	TracerProvider trace.TracerProvider
	// MeterProvider receives the runtime's metrics: orchestrations started and ended
	// by name and status, activity and entity operation times, turn and journal commit
	// times, appends per commit, fsyncs, instances in memory, pending timers, queued
	// messages. nil: none are recorded.
	MeterProvider metric.MeterProvider
}

// Runtime hosts orchestrations and activities in this process: an embedded journal and
// a one-member actor cluster.
type Runtime struct {
	cfg      Config
	registry *actors.Registry
	journal  persistence.Journal
	owned    bool
	host     *actors.Host
	clock    actors.Clock // nil: the system clock; set by durabletest

	startOnce sync.Once
	startErr  error
}

// Open opens the journal and starts the actor system. Register orchestrators and
// activities next; work left in flight by an earlier run resumes at Start, which the
// first client call also triggers.
func Open(cfg Config) (*Runtime, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Dir == "" && !cfg.InMemory {
		cfg.Dir = "./data"
	}
	rt := &Runtime{cfg: cfg, registry: actors.NewRegistry(), journal: cfg.Journal}
	if rt.journal == nil {
		j, err := badgerjournal.Open(badgerjournal.Config{Dir: cfg.Dir, InMemory: cfg.InMemory, Logger: cfg.Logger,
			MeterProvider: cfg.MeterProvider})
		if err != nil {
			return nil, err
		}
		rt.journal, rt.owned = j, true
	}
	return rt, nil
}

// RegisterOrchestrator registers fn as the orchestrator name. fn has one of the forms
//
//	func(*orchestrator.Context) error
//	func(*orchestrator.Context) (Out, error)
//	func(*orchestrator.Context, In) error
//	func(*orchestrator.Context, In) (Out, error)
//
// where In and Out are JSON-encodable types. Version and DefaultVersion register it as
// one version of name, beside others.
func (r *Runtime) RegisterOrchestrator(name string, fn any, opts ...RegisterOption) error {
	if name == "" {
		return errors.New("durable: orchestrator name is empty")
	}
	o, err := collectRegisterOptions(name, opts)
	if err != nil {
		return err
	}
	f, err := typed.Adapt[*orchestrator.Context]("orchestrator "+name, fn)
	if err != nil {
		return err
	}
	r.registry.AddOrchestratorVersion(name, o.version, orchestrator.Func(f), o.makeDefault)
	return nil
}

// RegisterActivity registers fn as the activity name. fn has one of the forms
//
//	func(context.Context) error
//	func(context.Context) (Out, error)
//	func(context.Context, In) error
//	func(context.Context, In) (Out, error)
//
// Activities run at least once: make them idempotent.
func (r *Runtime) RegisterActivity(name string, fn any) error {
	if name == "" {
		return errors.New("durable: activity name is empty")
	}
	f, err := typed.Adapt[context.Context]("activity "+name, fn)
	if err != nil {
		return err
	}
	r.registry.AddActivity(name, actors.ActivityFunc(f))
	return nil
}

// ActivityCall is an activity execution handed to an activity fallback: the
// instance, execution and task it belongs to, its name and its JSON input.
type ActivityCall = actors.ActivityCall

// RegisterActivityFallback makes fn run every activity whose name no Go code
// registered, as a bridge to activities implemented elsewhere (the gRPC sidecar's
// workers use it). fn returns the activity's JSON result or its failure; or, when it
// has neither because ctx ended (the runtime stops), an error, and then nothing is
// recorded and the activity runs again when its instance is next activated. fn runs
// on an activity worker, so at most Config.ActivityWorkers calls wait at once. As any
// activity, a call runs at least once.
func (r *Runtime) RegisterActivityFallback(fn func(ctx context.Context, call ActivityCall) ([]byte, *Failure, error)) {
	r.registry.SetActivityFallback(fn)
}

// RegisterRemoteOrchestrations makes fn take the steps of every orchestration whose name
// no Go code registered (the gRPC sidecar's workers use it): instances of any name may
// then be started, and wait for fn to step them.
func (r *Runtime) RegisterRemoteOrchestrations(fn orchestrator.Remote) {
	r.registry.SetRemote(fn)
}

// RegisterRemoteEntities makes fn run the batches of operations of every entity whose
// name no Go code registered (the gRPC sidecar's workers use it): such entities may
// then be signalled and called, and their operations wait for fn.
func (r *Runtime) RegisterRemoteEntities(fn entities.Remote) {
	r.registry.SetRemoteEntities(fn)
}

// Start starts running instances, resuming what an earlier run left in flight. It is
// idempotent; the first client call starts the runtime if Start was not called.
func (r *Runtime) Start() error {
	r.startOnce.Do(func() { r.startErr = r.start() })
	return r.startErr
}

func (r *Runtime) start() error {
	cfg := actors.Config{
		Journal: r.journal, Registry: r.registry, Logger: r.cfg.Logger, ActorLogger: r.cfg.ActorLogger,
		ActivityWorkers: r.cfg.ActivityWorkers, IdleTimeout: r.cfg.IdleTimeout, MaxPayloadBytes: r.cfg.MaxPayloadBytes,
		MaxIdleInstances: r.cfg.MaxIdleInstances, Clock: r.clock,
		TracerProvider: r.cfg.TracerProvider, MeterProvider: r.cfg.MeterProvider,
	}
	var stamp *clusterStamp
	if c := r.cfg.Cluster; c != nil {
		var err error
		if cfg.Cluster, stamp, err = c.hostConfig(r.cfg.Dir, r.cfg.InMemory); err != nil {
			return err
		}
		cfg.Cluster.Log = r.cfg.Logger
		if stamp.fresh && !r.cfg.InMemory {
			if err := r.refuseUnclusteredData(); err != nil {
				return err
			}
			// The member's id is kept before it can claim anything: a member that
			// crashes right after joining comes back as itself, to its partitions.
			if err := stamp.write(r.cfg.Dir); err != nil {
				return fmt.Errorf("durable: record the cluster in %q: %w", r.cfg.Dir, err)
			}
		}
	}
	h, err := actors.Start(cfg)
	if err != nil {
		return err
	}
	if stamp != nil && !r.cfg.InMemory {
		if err := stamp.save(r.cfg.Dir, h.ClusterID()); err != nil {
			h.Close(context.Background())
			return fmt.Errorf("durable: record the cluster in %q: %w", r.cfg.Dir, err)
		}
	}
	r.host = h
	return nil
}

// Client returns the client for managing instances of this runtime.
func (r *Runtime) Client() *Client { return &Client{rt: r} }

// Close stops the runtime: instances finish their current step, pending journal writes
// complete, and the journal closes. Work in flight resumes at the next Open.
func (r *Runtime) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r.host != nil {
		r.host.Close(ctx)
	}
	if r.owned {
		if err := r.journal.Close(); err != nil {
			return fmt.Errorf("close journal: %w", err)
		}
	}
	return nil
}

func (r *Runtime) started() (*actors.Host, error) {
	if err := r.Start(); err != nil {
		return nil, err
	}
	return r.host, nil
}

// refuseUnclusteredData refuses to make a member of a journal that already holds
// instances of a runtime that ran on its own: in a cluster most of them would belong
// to partitions other members own, and nobody would ever serve them.
func (r *Runtime) refuseUnclusteredData() error {
	ctx := context.Background()
	for _, entities := range []bool{false, true} {
		page, _, err := r.journal.List(ctx, persistence.Query{Entities: entities, PageSize: 1})
		if err != nil {
			return err
		}
		if len(page) > 0 {
			return fmt.Errorf("durable: data directory %q holds instances of a runtime that ran on its own; "+
				"a cluster member starts from an empty directory", r.cfg.Dir)
		}
	}
	return nil
}
