package timers

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/memjournal"
)

// arm stores timers in j as an instance's commit would.
func arm(t *testing.T, j persistence.Journal, id string, ts ...persistence.Timer) {
	t.Helper()
	done := make(chan error, 1)
	j.Append(&persistence.Batch{InstanceID: id, Instance: &persistence.Instance{ID: id, Name: "o"}, ArmTimers: ts},
		func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type fired struct {
	to string
	id int64
}

// newService returns a service with a short window whose firings arrive on the
// returned channel; serves accepts every instance but "elsewhere".
func newService(t *testing.T, j persistence.Journal, window time.Duration) (*Service, chan fired) {
	t.Helper()
	got := make(chan fired, 16)
	s := New(j, time.Now, func(to string, msg any) { got <- fired{to, msg.(*wire.Timer).TimerID} },
		func(id string) bool { return id != "elsewhere" }, slog.New(slog.DiscardHandler))
	t.Cleanup(s.Stop)
	s.mu.Lock()
	s.window, s.horizon = window, time.Now().Add(window)
	s.mu.Unlock()
	s.poke() // the loop computes its next extension from the new window
	return s, got
}

func TestTimersBeyondTheWindowWaitInTheJournal(t *testing.T) {
	j := memjournal.New()
	now := time.Now()
	arm(t, j, "soon", persistence.Timer{InstanceID: "soon", ID: 1, FireAt: now.Add(50 * time.Millisecond)})
	arm(t, j, "later", persistence.Timer{InstanceID: "later", ID: 2, FireAt: now.Add(700 * time.Millisecond)})
	arm(t, j, "elsewhere", persistence.Timer{InstanceID: "elsewhere", ID: 3, FireAt: now.Add(600 * time.Millisecond)})
	s, got := newService(t, j, 400*time.Millisecond)
	if err := s.Load(context.Background(), func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if n := s.Pending(); n != 1 {
		t.Fatalf("%d timers held after loading, want 1 (only the one within the window)", n)
	}
	// Armed by a commit past the horizon: the journal has it, the heap need not.
	late := persistence.Timer{InstanceID: "committed", ID: 4, FireAt: now.Add(800 * time.Millisecond)}
	arm(t, j, "committed", late)
	s.Arm(late)
	if n := s.Pending(); n != 1 {
		t.Fatalf("%d timers held after arming one past the horizon, want 1", n)
	}
	want := []fired{{"soon", 1}, {"later", 2}, {"committed", 4}}
	for _, w := range want {
		select {
		case f := <-got:
			if f != w {
				t.Fatalf("fired %+v, want %+v", f, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("timer %+v never fired", w)
		}
	}
	select {
	case f := <-got:
		t.Fatalf("fired %+v, a timer of an instance served elsewhere", f)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestLoadKeepsOnlyWhatItIsAsked(t *testing.T) {
	j := memjournal.New()
	now := time.Now()
	arm(t, j, "a", persistence.Timer{InstanceID: "a", ID: 1, FireAt: now.Add(time.Hour)})
	arm(t, j, "b", persistence.Timer{InstanceID: "b", ID: 2, FireAt: now.Add(time.Hour)})
	s, _ := newService(t, j, 2*time.Hour)
	if err := s.Load(context.Background(), func(id string) bool { return id == "b" }); err != nil {
		t.Fatal(err)
	}
	if n := s.Pending(); n != 1 {
		t.Fatalf("%d timers held, want 1", n)
	}
}

// fakeNow is a clock that moves only when set.
type fakeNow struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeNow) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeNow) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func TestAJumpOfTheClockFiresWhatItPassed(t *testing.T) {
	j := memjournal.New()
	clock := &fakeNow{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	month := persistence.Timer{InstanceID: "month", ID: 1, FireAt: clock.Now().Add(30 * 24 * time.Hour)}
	arm(t, j, "month", month)
	got := make(chan fired, 1)
	s := New(j, clock.Now, func(to string, msg any) { got <- fired{to, msg.(*wire.Timer).TimerID} },
		func(string) bool { return true }, slog.New(slog.DiscardHandler))
	t.Cleanup(s.Stop)
	s.Arm(month) // past the horizon: left to the journal
	clock.set(month.FireAt)
	s.Wake()
	// The service would otherwise sleep half its window of real time before it looked.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case f := <-got:
		if f != (fired{"month", 1}) {
			t.Fatalf("fired %+v", f)
		}
	case <-ctx.Done():
		t.Fatal("a timer the clock jumped past did not fire")
	}
}
