package journaltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// appendTimeout bounds the wait for one done call. It only turns a hang into a
// failure; healthy journals answer in milliseconds.
const appendTimeout = 30 * time.Second

// harness wraps one journal for one subtest. It counts every done call so that the
// suite can check, after Close, that each Append was answered exactly once.
type harness struct {
	t   *testing.T
	j   persistence.Journal
	ctx context.Context

	mu    sync.Mutex
	dones []*atomic.Int32
}

func newHarness(t *testing.T, open func(t *testing.T) persistence.Journal) *harness {
	h := &harness{t: t, ctx: t.Context()}
	t.Cleanup(h.checkDones) // cleanups run last-in first-out: after Close
	h.j = open(t)
	t.Cleanup(func() {
		if err := h.j.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

func (h *harness) checkDones() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, n := range h.dones {
		if got := n.Load(); got != 1 {
			h.t.Errorf("append #%d: done called %d times after Close, want exactly 1", i, got)
		}
	}
}

// submit calls Append without waiting; the channel yields done's error.
func (h *harness) submit(b *persistence.Batch) <-chan error { return h.submitHook(b, nil) }

// submitHook is submit with a hook that runs inside done, for tests that observe the
// order of done calls.
func (h *harness) submitHook(b *persistence.Batch, hook func(error)) <-chan error {
	ch := make(chan error, 1)
	n := new(atomic.Int32)
	h.mu.Lock()
	h.dones = append(h.dones, n)
	h.mu.Unlock()
	id := b.InstanceID
	h.j.Append(b, func(err error) {
		if err != nil && !namesInstance(err, id) {
			h.t.Errorf("append to %q failed with %q, which does not name the instance", id, err)
		}
		if n.Add(1) == 1 {
			if hook != nil {
				hook(err)
			}
			ch <- err
		}
	})
	return ch
}

// namesInstance reports whether err carries id as the contract asks of done's errors.
func namesInstance(err error, id string) bool {
	if a := (*persistence.AppendError)(nil); errors.As(err, &a) && a.InstanceID == id {
		return true
	}
	c := (*persistence.CorruptionError)(nil)
	return errors.As(err, &c) && c.InstanceID == id
}

func (h *harness) wait(ch <-chan error) error {
	h.t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(appendTimeout):
		h.t.Fatalf("append not answered within %v", appendTimeout)
		return nil
	}
}

func (h *harness) append(b *persistence.Batch) error {
	h.t.Helper()
	return h.wait(h.submit(b))
}

func (h *harness) mustAppend(b *persistence.Batch) {
	h.t.Helper()
	if err := h.append(b); err != nil {
		h.t.Fatalf("Append(%s, expected version %d): %v", b.InstanceID, b.ExpectedVersion, err)
	}
}

func (h *harness) load(id string) (*persistence.Instance, []history.Event) {
	h.t.Helper()
	inst, events, err := h.j.Load(h.ctx, id)
	if err != nil {
		h.t.Fatalf("Load(%s): %v", id, err)
	}
	return inst, events
}

func (h *harness) get(id string, withPayloads bool) *persistence.Instance {
	h.t.Helper()
	inst, err := h.j.Get(h.ctx, id, withPayloads)
	if err != nil {
		h.t.Fatalf("Get(%s): %v", id, err)
	}
	return inst
}

func (h *harness) timers(until time.Time, limit int) []persistence.Timer {
	h.t.Helper()
	ts, err := h.j.Timers(h.ctx, until, limit)
	if err != nil {
		h.t.Fatalf("Timers: %v", err)
	}
	return ts
}

func (h *harness) recoverable() []string {
	h.t.Helper()
	var ids []string
	if err := h.j.Recoverable(h.ctx, func(id string) error { ids = append(ids, id); return nil }); err != nil {
		h.t.Fatalf("Recoverable: %v", err)
	}
	return ids
}

func (h *harness) outbox() []persistence.Message {
	h.t.Helper()
	var msgs []persistence.Message
	if err := h.j.Outbox(h.ctx, func(m persistence.Message) error { msgs = append(msgs, m); return nil }); err != nil {
		h.t.Fatalf("Outbox: %v", err)
	}
	return msgs
}

func (h *harness) wantErr(what string, got, want error) {
	h.t.Helper()
	if !errors.Is(got, want) {
		h.t.Fatalf("%s: got error %v, want %v", what, got, want)
	}
}

// Comparisons. Journals may drop monotonic clock readings and time zones, and may
// return nil for empty byte slices, so values are normalised before being compared.

func normTime(t time.Time) time.Time { return t.UTC().Round(0) }

func normBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func normEvent(e history.Event) history.Event {
	e.Time, e.FireAt = normTime(e.Time), normTime(e.FireAt)
	e.Input, e.Result = normBytes(e.Input), normBytes(e.Result)
	return e
}

func normInstance(in persistence.Instance) persistence.Instance {
	in.CreatedAt, in.UpdatedAt = normTime(in.CreatedAt), normTime(in.UpdatedAt)
	in.CustomStatus = normBytes(in.CustomStatus)
	in.Input, in.Output = normBytes(in.Input), normBytes(in.Output)
	return in
}

func normTimer(t persistence.Timer) persistence.Timer {
	t.FireAt = normTime(t.FireAt)
	t.Payload = normBytes(t.Payload)
	return t
}

func normAll[T any](xs []T, norm func(T) T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = norm(x)
	}
	return out
}

func (h *harness) equal(what string, got, want any) {
	h.t.Helper()
	if !reflect.DeepEqual(got, want) {
		h.t.Fatalf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

func show(v any) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%+v", v)
	return b.String()
}

func (h *harness) eventsEqual(got, want []history.Event) {
	h.t.Helper()
	if len(got) != len(want) {
		h.t.Fatalf("history has %d events, want %d", len(got), len(want))
	}
	for i := range want {
		h.equal(fmt.Sprintf("event %d", i), normEvent(got[i]), normEvent(want[i]))
	}
}

// rowEqual compares an index row with what the caller stored, ignoring the fields the
// journal sets (Version, HistoryLen) and the payloads.
func (h *harness) rowEqual(got, want *persistence.Instance) {
	h.t.Helper()
	g, w := normInstance(*got), normInstance(*want)
	g.Version, g.HistoryLen, g.Input, g.Output = 0, 0, nil, nil
	w.Version, w.HistoryLen, w.Input, w.Output = 0, 0, nil, nil
	h.equal("index row", g, w)
}
