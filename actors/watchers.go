package actors

import "sync"

// watchers wakes clients waiting for an instance to change, so waiting for completion
// needs no polling loop.
type watchers struct {
	mu sync.Mutex
	by map[string][]chan struct{}
}

func newWatchers() *watchers { return &watchers{by: map[string][]chan struct{}{}} }

// watch returns a channel closed at the instance's next committed change, and a
// function that withdraws it.
func (w *watchers) watch(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
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

func (w *watchers) notify(id string) {
	w.mu.Lock()
	list := w.by[id]
	delete(w.by, id)
	w.mu.Unlock()
	for _, ch := range list {
		close(ch)
	}
}
