package actors

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/orchestrator"
	"github.com/godurable/durable/persistence"
)

// Clock tells the runtime the time; tests inject their own.
type Clock interface{ Now() time.Time }

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

// Host runs orchestration instances as virtual actors of a cluster member, their
// activities on a pool of worker actors, and their durable timers.
type Host struct {
	cfg      Config
	log      *slog.Logger
	journal  persistence.Journal
	registry *Registry
	clock    Clock
	member   *cluster.Member
	pool     *activityPool
	timers   *timerService
	courier  *courier
	watchers *watchers
	dispatch *pooledDispatcher
	parking  *parking
	ctx      context.Context
	cancel   context.CancelFunc
}

// Start starts a one-member cluster hosting the runtime's actor kinds, then resumes
// what a previous run left in flight: instances with work outstanding, undelivered
// messages and armed timers.
func Start(cfg Config) (*Host, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Host{
		cfg: cfg, log: cfg.Logger, journal: cfg.Journal, registry: cfg.Registry, clock: cfg.Clock,
		watchers: newWatchers(), ctx: ctx, cancel: cancel, dispatch: newPooledDispatcher(300, 0),
	}
	h.member = cluster.Start(cluster.Config{
		Kinds: []*pcluster.Kind{
			pcluster.NewKind(OrchestrationKind, newInstanceProps(h, h.dispatch)),
			pcluster.NewKind(EntityKind, newEntityProps(h, h.dispatch)),
		},
		ActorLogger:    cfg.ActorLogger,
		RequestTimeout: cfg.RequestTimeout,
	})
	h.parking = newParking(cfg.MaxIdleInstances, func(pid *actor.PID, m any) { h.member.System.Root.Send(pid, m) })
	h.courier = newCourier(h)
	h.pool = newActivityPool(h, cfg.ActivityWorkers)
	h.timers = newTimerService(h)
	if err := h.recover(ctx); err != nil {
		h.Close(context.Background())
		return nil, err
	}
	return h, nil
}

// recover resumes work after a restart.
func (h *Host) recover(ctx context.Context) error {
	if err := h.timers.load(ctx); err != nil {
		return fmt.Errorf("load timers: %w", err)
	}
	err := h.journal.Recoverable(ctx, func(id string) error {
		h.courier.send(id, &controlMsg{Op: opWake}, nil)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list instances to recover: %w", err)
	}
	if err := h.journal.Outbox(ctx, func(m persistence.Message) error {
		h.deliverOutbox(m)
		return nil
	}); err != nil {
		return fmt.Errorf("load outbox: %w", err)
	}
	return nil
}

// Close stops the timers, the instances and the workers. It does not close the journal.
func (h *Host) Close(ctx context.Context) {
	h.timers.stop()
	h.courier.stop()
	h.cancel()
	h.member.Stop(ctx)
	h.pool.stop()
	h.dispatch.stop()
}

func (h *Host) newExecution(id string, fn orchestrator.Func) *orchestrator.Execution {
	return orchestrator.NewExecution(id, fn, orchestrator.Options{MaxPayloadBytes: h.cfg.MaxPayloadBytes, Logger: h.log})
}

// deliverOutbox sends a stored message and, once the receiver took it (or refused it
// for good), removes it from the sender's outbox.
func (h *Host) deliverOutbox(m persistence.Message) {
	msg, err := decodeMessage(m.Payload)
	if err != nil {
		h.log.Error("undecodable outbox message dropped", "from", m.From, "id", m.ID, "error", err)
		return
	}
	h.courier.send(m.To, msg, func(r *replyMsg) {
		if r.Code != codeOK {
			h.log.Warn("message not delivered", "from", m.From, "to", m.To, "reason", r.Message)
		}
		h.courier.send(m.From, &deliveredMsg{IDs: []int64{m.ID}}, nil)
	})
}

// wakeLater activates an instance again after a pause, to resume work a failed
// append left undone.
func (h *Host) wakeLater(id string) {
	time.AfterFunc(time.Second, func() {
		if h.ctx.Err() == nil {
			h.courier.send(id, &controlMsg{Op: opWake}, nil)
		}
	})
}

func newExecutionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isActive reports whether the instance is in memory on this member.
func (h *Host) isActive(id string) bool { return h.member.Placement.Has(OrchestrationKind, id) }
