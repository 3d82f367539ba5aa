package httpapi

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// counter is a topic's fetch that counts its reads and yields what value says.
type counter struct {
	reads atomic.Int64
	value atomic.Int64
}

func (c *counter) fetch(context.Context) (event, func()) {
	c.reads.Add(1)
	return event{name: "n", data: strconv.AppendInt(nil, c.value.Load(), 10)}, nil
}

func receive(t *testing.T, s *stream) string {
	t.Helper()
	select {
	case ev := <-s.next:
		return string(ev.data)
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return ""
	}
}

// waitFor waits until cond holds, checking after each of the hub's reads of c.
func waitFor(t *testing.T, c *counter, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for seen := c.reads.Load(); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		for c.reads.Load() == seen {
			time.Sleep(time.Millisecond)
		}
		seen = c.reads.Load()
	}
}

// Streams of one topic share its reads: a second stream gets what the first read at
// once, without a read of its own.
func TestHubSharesReads(t *testing.T) {
	h := newHub(time.Hour, 10) // no tick during the test: only opening a topic reads it
	var c counter
	a := h.subscribe("k", c.fetch)
	if got := receive(t, a); got != "0" {
		t.Fatalf("first event %q", got)
	}
	b := h.subscribe("k", c.fetch)
	if got := receive(t, b); got != "0" || c.reads.Load() != 1 {
		t.Fatalf("second stream: %q after %d reads, want 0 after 1", got, c.reads.Load())
	}
	h.unsubscribe(a)
	h.unsubscribe(b)
	waitStopped(t, h)
}

// A topic is pushed only when it changes, to every stream of it, and the poller stops
// with the last stream.
func TestHubPushesChangesOnly(t *testing.T) {
	h := newHub(time.Millisecond, 10)
	var c counter
	a, b := h.subscribe("k", c.fetch), h.subscribe("k", c.fetch)
	receive(t, a)
	receive(t, b)
	waitFor(t, &c, "several reads", func() bool { return c.reads.Load() >= 5 })
	for _, s := range []*stream{a, b} {
		select {
		case ev := <-s.next:
			t.Fatalf("pushed %q although nothing changed", ev.data)
		default:
		}
	}
	c.value.Store(7)
	if receive(t, a) != "7" || receive(t, b) != "7" {
		t.Fatal("the change did not reach both streams")
	}
	h.unsubscribe(a)
	h.unsubscribe(b)
	waitStopped(t, h)
	again := h.subscribe("k", c.fetch)
	if again == nil || receive(t, again) != "7" {
		t.Fatal("no stream after the poller stopped")
	}
	h.unsubscribe(again)
	waitStopped(t, h)
}

func TestHubBoundsStreams(t *testing.T) {
	h := newHub(time.Hour, 2)
	var c counter
	a := h.subscribe("a", c.fetch)
	b := h.subscribe("b", c.fetch)
	if h.subscribe("c", c.fetch) != nil {
		t.Fatal("a third stream past a bound of two")
	}
	h.unsubscribe(a)
	d := h.subscribe("c", c.fetch)
	if d == nil {
		t.Fatal("no room after a stream closed")
	}
	h.unsubscribe(b)
	h.unsubscribe(d)
	waitStopped(t, h)
}

// waitStopped waits for the poller to stop once no stream is open.
func waitStopped(t *testing.T, h *hub) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		polling, topics := h.polling, len(h.topics)
		h.mu.Unlock()
		if !polling && topics == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the poller still runs (%v) with %d topics", polling, topics)
		}
		time.Sleep(time.Millisecond)
	}
}
