package watch

import (
	"testing"

	"github.com/godurable/durable/persistence"
)

func TestWatchersKnowTheRowsOfActiveInstancesOnly(t *testing.T) {
	w := New()
	if _, cancel, _, known := w.Watch("a"); known {
		t.Fatal("an instance never activated is known")
	} else {
		cancel()
	}

	old, next := new(int), new(int) // two activations of instance "a"
	w.Activated(old, "a", nil)
	_, cancel, row, known := w.Watch("a")
	cancel()
	if !known || row != nil {
		t.Fatalf("activation found no instance: got %v, known %v", row, known)
	}

	v1 := &persistence.Instance{ID: "a", Version: 1}
	changed, cancel, _, _ := w.Watch("a")
	w.Notify(old, "a", v1)
	if got := <-changed; got != v1 {
		t.Fatalf("watcher got %v, want the committed row", got)
	}
	cancel()

	// A new activation replaces the old one before the old one finishes stopping:
	// the old one's release must not forget the new one's row.
	v2 := &persistence.Instance{ID: "a", Version: 2}
	w.Activated(next, "a", v2)
	w.Released(old, "a")
	if _, cancel, row, known := w.Watch("a"); !known || row != v2 {
		t.Fatalf("after the old activation stopped: row %v, known %v; want version 2", row, known)
	} else {
		cancel()
	}
	w.Released(next, "a")
	if _, cancel, _, known := w.Watch("a"); known {
		t.Fatal("a stopped instance is still known")
	} else {
		cancel()
	}
	if len(w.by) != 0 {
		t.Fatalf("subscriptions left behind: %v", w.by)
	}
}
