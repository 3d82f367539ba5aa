package durabletest

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/internal/clockhook"
	"github.com/godurable/durable/persistence/memjournal"
)

// Runtime is a durable.Runtime for tests: its journal is in memory, its clock a fake
// one, and activities and sub-orchestrations can be replaced by mocks. Register
// orchestrators, activities and entities on it as on any runtime.
type Runtime struct {
	*durable.Runtime
	// Clock is the runtime's clock. It stands still until Wait or Run skip time, or
	// the test advances it.
	Clock *Clock

	tb      testing.TB // nil outside a test
	journal *watchedJournal
	log     *testWriter

	mu    sync.Mutex
	mocks []mock

	closeOnce sync.Once
	closeErr  error
}

// mock is a registration OnActivity or OnSubOrchestrator made, kept to be made again.
type mock struct {
	activity bool
	name     string
	fn       any
}

// New returns a runtime for the test t, closed when the test ends. The runtime's
// records go to the test's log.
func New(t testing.TB) *Runtime {
	t.Helper()
	log := &testWriter{tb: t}
	// A record's time is the wall clock's, not the runtime's: the test's log has it.
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	rt, err := open(slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{ReplaceAttr: noTime})))
	if err != nil {
		t.Fatalf("durabletest: %v", err)
	}
	rt.tb, rt.log = t, log
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Errorf("durabletest: close the runtime: %v", err)
		}
	})
	return rt
}

// Open is New outside a test (an Example, a TestMain): the runtime's records are
// dropped, and the caller closes it.
func Open() (*Runtime, error) {
	return open(slog.New(slog.DiscardHandler))
}

func open(logger *slog.Logger) (*Runtime, error) {
	j := watch(memjournal.New())
	drt, err := durable.Open(durable.Config{Journal: j, Logger: logger})
	if err != nil {
		return nil, err
	}
	rt := &Runtime{Runtime: drt, Clock: newClock(), journal: j}
	clockhook.Set(drt, runtimeClock{rt.Clock})
	return rt, nil
}

// OnActivity makes fn run in place of the activity registered as name, whether it was
// registered before or after: Run registers the mocks again before it starts an
// instance. fn has one of the forms RegisterActivity takes; a fn of none of them fails
// the test (panics outside one).
func (rt *Runtime) OnActivity(name string, fn any) {
	if rt.tb != nil {
		rt.tb.Helper()
	}
	rt.addMock(mock{activity: true, name: name, fn: fn})
}

// OnSubOrchestrator makes fn run in place of the orchestrator registered as name,
// when an orchestration calls it as a sub-orchestration (or anything starts it). fn is
// an orchestrator, of one of the forms RegisterOrchestrator takes; the simplest mock
// returns a result at once. As with OnActivity, the mock wins over registrations made
// before or after it, and a fn of the wrong form fails the test.
func (rt *Runtime) OnSubOrchestrator(name string, fn any) {
	if rt.tb != nil {
		rt.tb.Helper()
	}
	rt.addMock(mock{name: name, fn: fn})
}

func (rt *Runtime) addMock(m mock) {
	if rt.tb != nil {
		rt.tb.Helper()
	}
	if err := rt.register(m); err != nil {
		rt.fail(err)
		return
	}
	rt.mu.Lock()
	rt.mocks = append(rt.mocks, m)
	rt.mu.Unlock()
}

func (rt *Runtime) register(m mock) error {
	var err error
	if m.activity {
		err = rt.RegisterActivity(m.name, m.fn)
	} else {
		err = rt.RegisterOrchestrator(m.name, m.fn)
	}
	if err != nil {
		return fmt.Errorf("mock %q: %w", m.name, err)
	}
	return nil
}

// registerMocks makes the mocks win over registrations made after them.
func (rt *Runtime) registerMocks() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, m := range rt.mocks {
		_ = rt.register(m) // registered once already: the form is right
	}
}

// fail reports a misuse of the kit: a test failure in a test, a panic outside one.
func (rt *Runtime) fail(err error) {
	if rt.tb == nil {
		panic("durabletest: " + err.Error())
	}
	rt.tb.Helper()
	rt.tb.Fatalf("durabletest: %v", err)
}

// Close stops the runtime and drops its journal. It may be called more than once; New
// calls it when the test ends.
func (rt *Runtime) Close() error {
	rt.closeOnce.Do(func() {
		rt.closeErr = rt.Runtime.Close()
		if err := rt.journal.Close(); err != nil && rt.closeErr == nil {
			rt.closeErr = err
		}
		if rt.log != nil {
			rt.log.stop()
		}
	})
	return rt.closeErr
}

// testWriter writes the runtime's records to the test's log, until the runtime has
// closed: a test's log refuses lines once the test has ended.
type testWriter struct {
	mu      sync.Mutex
	tb      testing.TB
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}
