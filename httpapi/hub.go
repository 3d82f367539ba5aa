package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"
)

// The event streams (events.go) are fed by one poller: every interval it reads, once,
// each thing an open stream watches (a page of a listing, or an instance), and hands
// what changed to every stream watching it. However many browsers show a page, the
// runtime is read once per interval for it, and a stream costs nothing while nothing
// changes. Polling rather than following commits keeps this right in a cluster, where
// a listing spans every member and an instance may live on another one.

// DefaultEventInterval is how often the event streams' topics are read when
// Options.EventInterval is zero.
const DefaultEventInterval = 500 * time.Millisecond

// DefaultMaxEventStreams bounds the open event streams when Options.MaxEventStreams is
// zero.
const DefaultMaxEventStreams = 100

// fetchTimeout bounds one read of a topic, so that a runtime that does not answer
// cannot hold the poller.
const fetchTimeout = 10 * time.Second

// event is one server-sent event: its name and its data, one line of JSON.
type event struct {
	name string
	data []byte
}

func (e event) same(o event) bool { return e.name == o.name && bytes.Equal(e.data, o.data) }

// topic is something streams watch. fetch reads it; it is called by the poller only,
// one call at a time, so it may keep state between calls.
type topic struct {
	key   string
	fetch func(ctx context.Context) (ev event, changed func())
	subs  map[*stream]struct{}
	last  event
	have  bool // last holds what was read
	fresh bool // not read since it was opened
}

// stream is one open event stream: next holds the newest event not yet written, so a
// slow client skips to the latest state rather than holding the poller up.
type stream struct {
	t    *topic
	next chan event
}

// offer replaces the pending event, if any, with ev. Called with the hub's lock held.
func (s *stream) offer(ev event) {
	select {
	case <-s.next:
	default:
	}
	s.next <- ev
}

type hub struct {
	every time.Duration
	max   int

	mu      sync.Mutex
	topics  map[string]*topic
	streams int
	polling bool          // the poller runs while streams are open
	wake    chan struct{} // a fresh topic, or the last stream gone
	// closing holds, for each server a stream came through, a channel closed when that
	// server shuts down, so that its streams end and its Shutdown can finish.
	closing map[*http.Server]chan struct{}
}

func newHub(every time.Duration, max int) *hub {
	if every <= 0 {
		every = DefaultEventInterval
	}
	if max <= 0 {
		max = DefaultMaxEventStreams
	}
	return &hub{every: every, max: max, topics: map[string]*topic{}, wake: make(chan struct{}, 1),
		closing: map[*http.Server]chan struct{}{}}
}

// subscribe opens a stream on the topic named key, which fetch reads if no stream
// watches it yet. It returns nil when the streams already open reach the bound.
func (h *hub) subscribe(key string, fetch func(ctx context.Context) (event, func())) *stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streams >= h.max {
		return nil
	}
	t := h.topics[key]
	if t == nil {
		t = &topic{key: key, fetch: fetch, subs: map[*stream]struct{}{}, fresh: true}
		h.topics[key] = t
		h.signal()
	}
	s := &stream{t: t, next: make(chan event, 1)}
	t.subs[s] = struct{}{}
	if t.have {
		s.offer(t.last)
	}
	h.streams++
	if !h.polling {
		h.polling = true
		go h.poll()
	}
	return s
}

// unsubscribe closes s; a topic nobody watches is forgotten.
func (h *hub) unsubscribe(s *stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(s.t.subs, s)
	if len(s.t.subs) == 0 {
		delete(h.topics, s.t.key)
	}
	h.streams--
	if h.streams == 0 {
		h.signal() // the poller stops now rather than at its next tick
	}
}

func (h *hub) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// poll reads the topics every interval, and fresh ones as soon as they open, until no
// stream is open.
func (h *hub) poll() {
	tick := time.NewTicker(h.every)
	defer tick.Stop()
	due := true
	for {
		h.read(due)
		select {
		case <-tick.C:
			due = true
		case <-h.wake:
			due = false
		}
		h.mu.Lock()
		if h.streams == 0 {
			h.polling = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
	}
}

// read reads every topic (all), or only the fresh ones, and offers what changed to
// their streams.
func (h *hub) read(all bool) {
	h.mu.Lock()
	var todo []*topic
	for _, t := range h.topics {
		if all || t.fresh {
			todo = append(todo, t)
		}
	}
	h.mu.Unlock()
	for _, t := range todo {
		ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		ev, changed := t.fetch(ctx)
		cancel()
		h.mu.Lock()
		t.fresh = false
		if !t.have || !ev.same(t.last) {
			t.last, t.have = ev, true
			for s := range t.subs {
				s.offer(ev)
			}
			if changed != nil {
				changed()
			}
		}
		h.mu.Unlock()
	}
}

// closingOf returns a channel closed when the server that r came through shuts down
// (nil when r came through none): http.Server.Shutdown waits for active connections
// to go idle, which a stream never does unless told to end.
func (h *hub) closingOf(r *http.Request) <-chan struct{} {
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if srv == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ch, ok := h.closing[srv]
	if !ok {
		ch = make(chan struct{})
		h.closing[srv] = ch
		var once sync.Once // Shutdown runs these each time it is called
		srv.RegisterOnShutdown(func() { once.Do(func() { close(ch) }) })
	}
	return ch
}
