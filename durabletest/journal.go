package durabletest

import (
	"sync"

	"github.com/godurable/durable/persistence"
)

// watchedJournal tells when anything commits: everything that moves an orchestration
// forward (a result, a timer, an event, a message delivered) is a commit, so a wait
// that looks again after each one never polls.
type watchedJournal struct {
	persistence.Journal
	mu      sync.Mutex
	changed chan struct{} // closed by the next commit
}

func watch(j persistence.Journal) *watchedJournal {
	return &watchedJournal{Journal: j, changed: make(chan struct{})}
}

func (j *watchedJournal) Append(b *persistence.Batch, done func(error)) {
	j.Journal.Append(b, func(err error) {
		done(err)
		j.mu.Lock()
		close(j.changed)
		j.changed = make(chan struct{})
		j.mu.Unlock()
	})
}

// next returns a channel closed by the next commit: take it before reading what a
// commit may change, and no commit goes unseen.
func (j *watchedJournal) next() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changed
}
