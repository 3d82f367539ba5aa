package actors

import (
	"sync"

	"github.com/godurable/durable/persistence"
)

// watchers wakes clients waiting for an instance to change, handing them the row the
// instance just committed, so waiting needs neither polling nor a journal read.
type watchers struct {
	mu sync.Mutex
	by map[string][]chan *persistence.Instance
}

func newWatchers() *watchers { return &watchers{by: map[string][]chan *persistence.Instance{}} }

// watch subscribes to the instance's committed rows (nil when it was purged): the
// channel holds the latest one not yet received, so none is missed between reads.
// The returned function ends the subscription.
func (w *watchers) watch(id string) (<-chan *persistence.Instance, func()) {
	ch := make(chan *persistence.Instance, 1)
	w.mu.Lock()
	w.by[id] = append(w.by[id], ch)
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		list := w.by[id]
		for i, c := range list {
			if c == ch {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(w.by, id)
		} else {
			w.by[id] = list
		}
	}
}

// notify hands row to everyone watching id, replacing a row they have not read yet.
// Committed rows are never modified afterwards, so they are shared.
func (w *watchers) notify(id string, row *persistence.Instance) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.by[id] {
		select {
		case ch <- row:
		default:
			select {
			case <-ch:
			default:
			}
			ch <- row
		}
	}
}
