package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/godurable/durable/actors/internal/activities"
	"github.com/godurable/durable/actors/internal/courier"
	"github.com/godurable/durable/actors/internal/entity"
	"github.com/godurable/durable/actors/internal/env"
	"github.com/godurable/durable/actors/internal/instance"
	"github.com/godurable/durable/actors/internal/lifecycle"
	"github.com/godurable/durable/actors/internal/replica"
	"github.com/godurable/durable/actors/internal/telemetry"
	"github.com/godurable/durable/actors/internal/timers"
	"github.com/godurable/durable/actors/internal/watch"
	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/persistence"
)

// Clock tells the runtime the time; tests inject their own.
type Clock interface{ Now() time.Time }

// ManualClock is a Clock that moves only when told to, as a test's does. The runtime
// waits for durable timers by real time; a clock that jumps ahead says so through the
// functions given to OnAdvance, and the timers it passed fire at once.
type ManualClock interface {
	Clock
	// OnAdvance registers f, which does not block, to be called each time the clock
	// moves ahead.
	OnAdvance(f func())
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures a Host. Zero fields take the defaults noted.
type Config struct {
	Journal  persistence.Journal // required
	Registry *Registry           // required
	// Logger receives the runtime's records (default slog.Default()).
	Logger *slog.Logger
	// ActorLogger receives protoactor's own records; nil keeps it silent.
	ActorLogger *slog.Logger
	Clock       Clock
	// ActivityWorkers bounds how many activities run at once (default 64).
	ActivityWorkers int
	// IdleTimeout is how long an instance stays in memory without input (default 30 s).
	IdleTimeout time.Duration
	// MaxIdleInstances bounds the idle instances and entities kept in memory; past it
	// the least recently used leave memory at once (default 10,000).
	MaxIdleInstances int
	// MaxPayloadBytes caps inputs, outputs and event data (default 1 MiB).
	MaxPayloadBytes int
	// RequestTimeout bounds one attempt of a request to an instance (default 10 s).
	RequestTimeout time.Duration
	// Cluster, when set, makes the host one member of a cluster of many; nil: a member
	// on its own, where every instance is local.
	Cluster *ClusterConfig
	// TracerProvider and MeterProvider receive the runtime's spans and metrics; nil:
	// none are recorded.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

// ClusterConfig places a host in a cluster of many members.
type ClusterConfig struct {
	// Name is the cluster's name; Host and Port are where this member listens for the
	// others (and what it tells them); Secret is what members present to each other.
	Name   string
	Host   string
	Port   int
	Secret string
	cluster.Group
}

func (c *Config) validate() error {
	if c.Journal == nil || c.Registry == nil {
		return errors.New("actors: Config needs a Journal and a Registry")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.ActivityWorkers <= 0 {
		c.ActivityWorkers = 64
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Second
	}
	if c.MaxIdleInstances <= 0 {
		c.MaxIdleInstances = 10_000
	}
	if c.MaxPayloadBytes <= 0 {
		c.MaxPayloadBytes = 1 << 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	return nil
}

// Host runs orchestration instances and entities as virtual actors of a cluster
// member, their activities on a pool of worker actors, and their durable timers.
type Host struct {
	cfg       Config
	env       *env.Env
	dispatch  *lifecycle.Dispatcher
	replicas  *replica.Replicator // nil: no copies kept
	cancel    context.CancelFunc
	readSlots chan struct{} // bounds the reader's goroutines
}

// Start starts a one-member cluster hosting the runtime's actor kinds, then resumes
// what a previous run left in flight: instances with work outstanding, undelivered
// messages and armed timers.
func Start(cfg Config) (*Host, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	tel, err := telemetry.New(cfg.TracerProvider, cfg.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env.Env{Tel: tel,
		Journal: cfg.Journal, Registry: cfg.Registry, Log: cfg.Logger, Now: cfg.Clock.Now,
		MaxPayloadBytes: cfg.MaxPayloadBytes, RequestTimeout: cfg.RequestTimeout,
		Watchers: watch.New(), Ctx: ctx,
	}
	h := &Host{cfg: cfg, env: e, cancel: cancel, dispatch: lifecycle.NewDispatcher(300, 0)}
	ccfg := cluster.Config{
		Kinds: []*pcluster.Kind{
			pcluster.NewKind(wire.OrchestrationKind, instance.Props(e, h.dispatch)),
			pcluster.NewKind(wire.EntityKind, entity.Props(e, h.dispatch)),
		},
		ActorLogger:    cfg.ActorLogger,
		RequestTimeout: cfg.RequestTimeout,
	}
	// Everything the actors use is in place before the member can be reached: other
	// members may send work, reads and activations as soon as it registers.
	prepare := func(m *cluster.Member) error {
		e.Member = m
		e.Lifecycle = &lifecycle.Env{
			Parking: lifecycle.NewParking(cfg.MaxIdleInstances, func(pid *actor.PID, msg any) { m.System.Root.Send(pid, msg) }),
			Now:     cfg.Clock.Now, IdleTimeout: cfg.IdleTimeout, Member: m,
		}
		e.Courier = courier.New(e.Ask)
		e.Activities = activities.NewPool(m.System, cfg.ActivityWorkers, cfg.Registry.Activity, ctx, cfg.MaxPayloadBytes, e.Log, tel)
		e.Timers = timers.New(cfg.Journal, cfg.Clock.Now, func(to string, msg any) { e.Courier.Send(to, msg, nil) }, m.Serves, e.Log)
		if c, ok := cfg.Clock.(ManualClock); ok {
			c.OnAdvance(e.Timers.Wake)
		}
		if err := tel.Observe(
			telemetry.Gauge{Name: "durable.instances.active", Description: "Orchestration instances in memory with a turn or work in flight, or loaded.", Value: e.Watchers.Live},
			telemetry.Gauge{Name: "durable.actors.idle", Description: "Idle instances and entities kept in memory, to be passivated past the idle timeout or MaxIdleInstances.", Value: e.Lifecycle.Parking.Idle},
			telemetry.Gauge{Name: "durable.timers.pending", Description: "Durable timers held in memory, waiting to fire.", Value: e.Timers.Pending},
			telemetry.Gauge{Name: "durable.courier.queued", Description: "Messages between actors waiting for delivery.", Value: e.Courier.Queued},
		); err != nil {
			return fmt.Errorf("telemetry: %w", err)
		}
		if cfg.Cluster != nil {
			o, err := newOffload(h)
			if err != nil {
				return fmt.Errorf("start the activity door: %w", err)
			}
			e.Offload = o
		}
		if err := h.startReader(); err != nil {
			return fmt.Errorf("start the reader: %w", err)
		}
		return nil
	}
	if c := cfg.Cluster; c != nil {
		ccfg.Name, ccfg.Host, ccfg.Port, ccfg.Secret = c.Name, c.Host, c.Port, c.Secret
		g := &gatedJournal{Journal: cfg.Journal}
		group := c.Group
		if store, ok := cfg.Journal.(replica.Store); ok {
			h.replicas = replica.New(store, cfg.Logger)
			g.Journal = h.replicas
		} else {
			group.Replicas = 1 // a journal that cannot copy its instances keeps one copy
		}
		e.Journal = g
		group.Prepare = func(m *cluster.Member) error {
			g.member.Store(m)
			if h.replicas != nil {
				if err := h.replicas.Start(m); err != nil {
					return err
				}
			}
			return prepare(m)
		}
		group.Claimed = h.claimed
		if _, err := cluster.Join(ctx, ccfg, group); err != nil {
			cancel()
			h.stopPrepared()
			h.dispatch.Stop()
			return nil, err
		}
	} else if err := prepare(cluster.Start(ccfg)); err != nil {
		h.Close(context.Background())
		return nil, err
	}
	// A member of a cluster resumes the work of each partition as it claims it (see
	// claimed); its journal also holds copies of partitions other members serve.
	if cfg.Cluster == nil {
		if err := h.recover(ctx); err != nil {
			h.Close(context.Background())
			return nil, err
		}
	}
	return h, nil
}

// recover resumes work after a restart.
func (h *Host) recover(ctx context.Context) error {
	e := h.env
	if err := e.Timers.Load(ctx, func(string) bool { return true }); err != nil {
		return fmt.Errorf("load timers: %w", err)
	}
	err := e.Journal.Recoverable(ctx, func(id string) error {
		e.Courier.Send(id, &wire.Control{Op: wire.OpWake}, nil)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list instances to recover: %w", err)
	}
	if err := e.Journal.Outbox(ctx, func(m persistence.Message) error {
		e.DeliverOutbox(m)
		return nil
	}); err != nil {
		return fmt.Errorf("load outbox: %w", err)
	}
	return nil
}

// Close stops the timers, the instances and the workers. It does not close the journal.
// A member of a cluster first hands its partitions to their standbys (within ctx).
func (h *Host) Close(ctx context.Context) {
	e := h.env
	if h.replicas != nil {
		// Half the time at most: the actors' last turns need the rest.
		lctx, cancel := context.WithTimeout(ctx, time.Until(deadlineOr(ctx, 10*time.Second))/2)
		handed := h.replicas.Stats().HandedOff.Load()
		h.replicas.Leave(lctx)
		cancel()
		if h.replicas.Stats().HandedOff.Load() > handed {
			// The other members learn of the moves from etcd a moment after this one:
			// until then they may still route requests here, which this member answers
			// with a redirect while it runs, and nobody answers once it is gone.
			select {
			case <-time.After(handoffGrace):
			case <-ctx.Done():
			}
		}
	}
	e.Timers.Stop()
	e.Courier.Stop()
	h.cancel()
	if h.replicas != nil {
		h.replicas.Quiesce()
	}
	e.Member.Stop(ctx)
	if h.replicas != nil {
		h.replicas.Stop()
	}
	e.Activities.Stop()
	h.dispatch.Stop()
}

// handoffGrace is how long a member that handed its partitions off keeps answering
// before it stops.
const handoffGrace = 500 * time.Millisecond

// deadlineOr returns ctx's deadline, or def from now when it has none.
func deadlineOr(ctx context.Context, def time.Duration) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(def)
}

// stopPrepared releases what prepare started when joining failed after it.
func (h *Host) stopPrepared() {
	e := h.env
	if e.Timers != nil {
		e.Timers.Stop()
	}
	if e.Courier != nil {
		e.Courier.Stop()
	}
	if e.Activities != nil {
		e.Activities.Stop()
	}
}

// claimed resumes, once this member has claimed partitions, what they had in flight:
// it wakes their instances with work out, arms their timers and sends their
// undelivered messages again. An activation stopped while its partition was not
// served here (a lost lease) may have committed a turn and never sent what it created;
// the journal still holds it. What was already armed or sent arrives twice, which
// receivers ignore.
func (h *Host) claimed(claimed []int, partitions int) {
	e := h.env
	mine := func(id string) bool { return slices.Contains(claimed, cluster.PartitionOf(id, partitions)) }
	err := e.Journal.Recoverable(e.Ctx, func(id string) error {
		if mine(id) {
			e.Courier.Send(id, &wire.Control{Op: wire.OpWake}, nil)
		}
		return nil
	})
	if err == nil {
		err = e.Timers.Load(e.Ctx, mine)
	}
	if err == nil {
		err = e.Journal.Outbox(e.Ctx, func(m persistence.Message) error {
			if mine(m.From) {
				e.DeliverOutbox(m)
			}
			return nil
		})
	}
	if err != nil && e.Ctx.Err() == nil {
		e.Log.Warn("resuming claimed partitions failed", "partitions", claimed, "error", err)
	}
}

// isActive reports whether the instance is in memory on this member.
func (h *Host) isActive(id string) bool {
	return h.env.Member.Placement.Has(wire.OrchestrationKind, id)
}

// gatedJournal refuses the appends of instances whose partition this member does not
// serve: once its lease lapses (within two thirds of its TTL) or the partition moved,
// nothing it commits can stand, whatever its actors still believe.
type gatedJournal struct {
	persistence.Journal
	member atomic.Pointer[cluster.Member]
}

func (g *gatedJournal) Append(b *persistence.Batch, done func(error)) {
	if m := g.member.Load(); m == nil || !m.Serves(b.InstanceID) {
		done(fmt.Errorf("%w: instance %q", persistence.ErrFenced, b.InstanceID))
		return
	}
	g.Journal.Append(b, done)
}

// ReplicationStats counts what this member's replication did since it started.
type ReplicationStats struct {
	Replicated, Copied, StandbysLost, HandedOff int64
	// MaxHold is the longest a partition held its appends, to finish a copy or a
	// handoff.
	MaxHold time.Duration
}

// Replication returns this member's replication counters; zero without replication.
func (h *Host) Replication() ReplicationStats {
	if h.replicas == nil {
		return ReplicationStats{}
	}
	s := h.replicas.Stats()
	return ReplicationStats{Replicated: s.Replicated.Load(), Copied: s.Copied.Load(), StandbysLost: s.StandbysLost.Load(),
		HandedOff: s.HandedOff.Load(), MaxHold: time.Duration(s.MaxHoldNanos.Load())}
}

// ClusterID returns the id of the cluster this host is a member of; "" on its own.
func (h *Host) ClusterID() string { return h.env.Member.Meta().ID }

// ClusterInfo describes the cluster as this member sees it: its members, who owns each
// partition at which epoch, and how many activities this member sent to others and ran
// for them.
func (h *Host) ClusterInfo() (info cluster.Info, sent, ran int64) {
	if o, ok := h.env.Offload.(*offload); ok {
		sent, ran = o.sent.Load(), o.ran.Load()
	}
	return h.env.Member.Info(), sent, ran
}
