// Package watch wakes clients waiting for an orchestration instance to change.
package watch

import (
	"sync"

	"github.com/godurable/durable/persistence"
)

// Watchers wakes clients waiting for an instance to change, handing them the row the
// instance just committed, so waiting needs neither polling nor a journal read.
type Watchers struct {
	mu sync.Mutex
	by map[string][]chan *persistence.Instance
	// live holds the last committed row of every instance active in memory, so that
	// waiting on one (typically right after starting it) begins without reading the
	// journal. Its owner is the activation that published it: a stopping activation
	// removes only its own entry, never that of the one replacing it.
	live map[string]liveRow
}

type liveRow struct {
	owner any                   // the activation, compared by identity
	row   *persistence.Instance // nil: the instance does not exist
}

// New returns watchers with nobody waiting.
func New() *Watchers {
	return &Watchers{by: map[string][]chan *persistence.Instance{}, live: map[string]liveRow{}}
}

// Watch subscribes to the instance's committed rows (nil when it was purged): the
// channel holds the latest one not yet received, so none is missed between reads.
// When the instance is active, current is its last committed row and known is true;
// otherwise the caller reads the journal. The returned function ends the subscription.
func (w *Watchers) Watch(id string) (changed <-chan *persistence.Instance, cancel func(), current *persistence.Instance, known bool) {
	ch := make(chan *persistence.Instance, 1)
	w.mu.Lock()
	w.by[id] = append(w.by[id], ch)
	lr, known := w.live[id]
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
	}, lr.row, known
}

// Live returns how many instances are active in memory.
func (w *Watchers) Live() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.live)
}

// Activated publishes the row the activation owner of instance id loaded (nil: no
// such instance yet).
func (w *Watchers) Activated(owner any, id string, row *persistence.Instance) {
	w.mu.Lock()
	w.live[id] = liveRow{owner: owner, row: row}
	w.mu.Unlock()
}

// Released forgets the row of an activation that stops or no longer trusts it.
func (w *Watchers) Released(owner any, id string) {
	w.mu.Lock()
	if w.live[id].owner == owner {
		delete(w.live, id)
	}
	w.mu.Unlock()
}

// Notify records row as the one owner just committed for instance id and hands it to
// everyone watching the instance, replacing a row they have not read yet. Committed rows
// are never modified afterwards, so they are shared.
func (w *Watchers) Notify(owner any, id string, row *persistence.Instance) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.live[id] = liveRow{owner: owner, row: row}
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
