package memjournal

import (
	"sync"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// Journal is an in-memory persistence.Journal. The zero value is not usable; call New.
type Journal struct {
	mu        sync.Mutex
	closed    bool
	instances map[string]*instance
	// timers belong to the instance they fire at, which need not be the one whose
	// batch armed them (a scheduled signal fires at an entity).
	timers map[timerKey]persistence.Timer
}

var _ persistence.Journal = (*Journal)(nil)

// instance is everything the journal keeps for one instance id.
type instance struct {
	row           persistence.Instance // Input and Output stay nil here
	input, output []byte
	events        []history.Event
	recover       bool
	outbox        map[int64]persistence.Message
}

// timerKey matches timers the way CancelTimers does: by instance, id and due instant.
type timerKey struct {
	instanceID string
	id         int64
	fireAt     int64
}

func keyOf(t persistence.Timer) timerKey {
	return timerKey{instanceID: t.InstanceID, id: t.ID, fireAt: t.FireAt.UnixNano()}
}

// New returns an empty journal.
func New() *Journal {
	return &Journal{
		instances: make(map[string]*instance),
		timers:    make(map[timerKey]persistence.Timer),
	}
}

// Append applies b and calls done before returning; see the package documentation.
func (j *Journal) Append(b *persistence.Batch, done func(error)) {
	err := j.apply(b)
	if done != nil {
		if err != nil {
			err = &persistence.AppendError{InstanceID: b.InstanceID, Err: err}
		}
		done(err)
	}
}

func (j *Journal) apply(b *persistence.Batch) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return persistence.ErrClosed
	}
	inst := j.instances[b.InstanceID]
	var version uint64
	if inst != nil {
		version = inst.row.Version
	}
	if version != b.ExpectedVersion {
		return persistence.ErrVersionConflict
	}
	if b.Delete {
		j.delete(b.InstanceID)
		return nil
	}
	if inst == nil {
		inst = &instance{
			row:    persistence.Instance{ID: b.InstanceID},
			outbox: make(map[int64]persistence.Message),
		}
		j.instances[b.InstanceID] = inst
	}
	inst.applyRow(b)
	j.applyTimers(b)
	inst.applyOutbox(b)
	if b.Recover != nil {
		inst.recover = *b.Recover
	}
	return nil
}

func (inst *instance) applyRow(b *persistence.Batch) {
	if b.Instance != nil {
		inst.row = cloneRow(b.Instance)
		inst.row.ID = b.InstanceID
	}
	if b.SetInput != nil {
		inst.input = cloneBytes(b.SetInput)
	}
	if b.SetOutput != nil {
		inst.output = cloneBytes(b.SetOutput)
	}
	if b.ResetHistory {
		inst.events = nil
	}
	for _, e := range b.Events {
		inst.events = append(inst.events, cloneEvent(e))
	}
	inst.row.Version = b.ExpectedVersion + 1
	inst.row.HistoryLen = len(inst.events)
}

func (j *Journal) delete(id string) {
	delete(j.instances, id)
	for k := range j.timers {
		if k.instanceID == id {
			delete(j.timers, k)
		}
	}
}

// applyTimers arms before it cancels, so a timer both armed and cancelled by one batch
// ends up cancelled, as the later decision of the turn. A timer that names no instance
// fires at the batch's own.
func (j *Journal) applyTimers(b *persistence.Batch) {
	for _, t := range b.ArmTimers {
		t = cloneTimer(t)
		if t.InstanceID == "" {
			t.InstanceID = b.InstanceID
		}
		j.timers[keyOf(t)] = t
	}
	for _, t := range b.CancelTimers {
		if t.InstanceID == "" {
			t.InstanceID = b.InstanceID
		}
		delete(j.timers, keyOf(t))
	}
}

// applyOutbox stores before it removes, for the same reason as applyTimers.
func (inst *instance) applyOutbox(b *persistence.Batch) {
	for _, m := range b.Send {
		m = cloneMessage(m)
		m.From = b.InstanceID
		inst.outbox[m.ID] = m
	}
	for _, id := range b.Delivered {
		delete(inst.outbox, id)
	}
}

// Close marks the journal closed. Appends never wait, so there is nothing to flush.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	return nil
}
