package orchestrator

import (
	"errors"
	"math"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/godurable/durable/history"
)

// RetryPolicy says how often and how patiently a failed activity or sub-orchestration
// is tried again. Zero fields take the defaults noted.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included (1 = no retry).
	MaxAttempts int
	// FirstInterval is the wait before the second attempt (default 1 s).
	FirstInterval time.Duration
	// BackoffCoefficient multiplies the wait after each attempt (default 1).
	BackoffCoefficient float64
	// MaxInterval caps a single wait (default: no cap).
	MaxInterval time.Duration
	// Timeout stops retrying once this much orchestration time has passed since the
	// first attempt (default: no limit).
	Timeout time.Duration
	// Handle decides whether an error is worth another attempt (default: every error
	// except failures marked non-retriable, such as an unknown activity).
	Handle func(error) bool
}

// Delay returns the wait before attempt number attempt+1, after attempt failures.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.FirstInterval,
		RandomizationFactor: 0, // replay must compute the same waits
		Multiplier:          p.BackoffCoefficient,
		MaxInterval:         p.MaxInterval,
		MaxElapsedTime:      0,
		Stop:                backoff.Stop,
		Clock:               fixedClock{},
	}
	if b.InitialInterval <= 0 {
		b.InitialInterval = time.Second
	}
	if b.Multiplier <= 0 {
		b.Multiplier = 1
	}
	if b.MaxInterval <= 0 {
		b.MaxInterval = time.Duration(math.MaxInt64)
	}
	b.Reset()
	d := b.InitialInterval
	for i := 0; i < attempt; i++ {
		d = b.NextBackOff()
	}
	return d
}

func (p RetryPolicy) shouldRetry(attempt int, err error) bool {
	if p.MaxAttempts > 0 && attempt >= p.MaxAttempts {
		return false
	}
	var tf *TaskFailedError
	if errors.As(err, &tf) && tf.Failure.NonRetriable {
		return false
	}
	if p.Handle != nil {
		return p.Handle(err)
	}
	return true
}

// fixedClock keeps backoff free of the wall clock; elapsed time is judged on
// orchestration time instead.
type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Time{} }

// withRetry drives attempts from task completions, so every wait is a durable timer in
// history and a restart resumes the same attempt count and wait.
func (e *Execution) withRetry(kind taskKind, name string, p RetryPolicy, attempt func() *task) *task {
	outer := e.newTask(kind, name)
	started := e.now
	var try func(n int)
	try = func(n int) {
		attempt().whenDone(func(t *task) {
			if t.err == nil || !p.shouldRetry(n, t.err) {
				outer.complete(t.result, t.err)
				return
			}
			delay := p.Delay(n)
			if p.Timeout > 0 && e.now.Add(delay).Sub(started) > p.Timeout {
				outer.complete(nil, t.err)
				return
			}
			what := "activity"
			if kind == kindSubOrchestration {
				what = "sub-orchestration"
			}
			// Replay-safe: each retry is told once, when first decided.
			e.ctx.logger.Warn(what+" failed; retrying", "task", name, "attempt", n, "retryIn", delay, "error", t.err)
			e.createTimer(e.now.Add(delay)).whenDone(func(*task) { try(n + 1) })
		})
	}
	try(1)
	return outer
}

func (e *Execution) createTimer(at time.Time) *task {
	return e.schedule(kindTimer, history.Event{Type: history.EventTimerCreated, FireAt: at})
}
