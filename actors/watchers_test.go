package actors

import (
	"testing"

	"github.com/godurable/durable/persistence"
)

func TestWatchersKnowTheRowsOfActiveInstancesOnly(t *testing.T) {
	w := newWatchers()
	if _, cancel, _, known := w.watch("a"); known {
		t.Fatal("an instance never activated is known")
	} else {
		cancel()
	}

	old, next := &instance{id: "a"}, &instance{id: "a"}
	w.activated(old, nil)
	_, cancel, row, known := w.watch("a")
	cancel()
	if !known || row != nil {
		t.Fatalf("activation found no instance: got %v, known %v", row, known)
	}

	v1 := &persistence.Instance{ID: "a", Version: 1}
	changed, cancel, _, _ := w.watch("a")
	w.notify(old, v1)
	if got := <-changed; got != v1 {
		t.Fatalf("watcher got %v, want the committed row", got)
	}
	cancel()

	// A new activation replaces the old one before the old one finishes stopping:
	// the old one's release must not forget the new one's row.
	v2 := &persistence.Instance{ID: "a", Version: 2}
	w.activated(next, v2)
	w.released(old)
	if _, cancel, row, known := w.watch("a"); !known || row != v2 {
		t.Fatalf("after the old activation stopped: row %v, known %v; want version 2", row, known)
	} else {
		cancel()
	}
	w.released(next)
	if _, cancel, _, known := w.watch("a"); known {
		t.Fatal("a stopped instance is still known")
	} else {
		cancel()
	}
	if len(w.by) != 0 {
		t.Fatalf("subscriptions left behind: %v", w.by)
	}
}
