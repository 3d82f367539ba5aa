package memjournal

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/internal/query"
)

// Load implements persistence.Journal.
func (j *Journal) Load(ctx context.Context, instanceID string) (*persistence.Instance, []history.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	inst, err := j.lookup(instanceID)
	if err != nil {
		return nil, nil, err
	}
	return inst.export(true), cloneEvents(inst.events), nil
}

// History implements persistence.Journal.
func (j *Journal) History(ctx context.Context, instanceID string, fromSeq int) ([]history.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	inst, err := j.lookup(instanceID)
	if err != nil {
		return nil, err
	}
	fromSeq = max(fromSeq, 0)
	if fromSeq >= len(inst.events) {
		return nil, nil
	}
	return cloneEvents(inst.events[fromSeq:]), nil
}

// Get implements persistence.Journal.
func (j *Journal) Get(ctx context.Context, instanceID string, withPayloads bool) (*persistence.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	inst, err := j.lookup(instanceID)
	if err != nil {
		return nil, err
	}
	return inst.export(withPayloads), nil
}

// lookup must be called with j.mu held.
func (j *Journal) lookup(id string) (*instance, error) {
	if j.closed {
		return nil, persistence.ErrClosed
	}
	inst := j.instances[id]
	if inst == nil {
		return nil, persistence.ErrNotFound
	}
	return inst, nil
}

func (inst *instance) export(withPayloads bool) *persistence.Instance {
	row := cloneRow(&inst.row)
	if withPayloads {
		row.Input, row.Output = cloneBytes(inst.input), cloneBytes(inst.output)
	}
	return &row
}

// List implements persistence.Journal.
func (j *Journal) List(ctx context.Context, q persistence.Query) ([]*persistence.Instance, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, "", persistence.ErrClosed
	}
	start, err := query.StartOf(q)
	if err != nil {
		return nil, "", err
	}
	var matched []*instance
	for _, inst := range j.instances {
		if start.Admits(q.CursorOf(&inst.row)) && query.Matches(q, &inst.row) {
			matched = append(matched, inst)
		}
	}
	slices.SortFunc(matched, func(a, b *instance) int { return q.Compare(q.CursorOf(&a.row), q.CursorOf(&b.row)) })
	page := query.NewPage(q)
	for _, inst := range matched {
		if page.Full() {
			return page.Instances, page.Continuation(), nil
		}
		page.Add(inst.export(q.WithPayloads))
	}
	return page.Instances, "", nil
}

// Timers implements persistence.Journal.
func (j *Journal) Timers(ctx context.Context, until time.Time, limit int) ([]persistence.Timer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, persistence.ErrClosed
	}
	var due []persistence.Timer
	for _, t := range j.timers {
		if !t.FireAt.After(until) {
			due = append(due, cloneTimer(t))
		}
	}
	slices.SortFunc(due, func(a, b persistence.Timer) int {
		return cmp.Or(a.FireAt.Compare(b.FireAt), cmp.Compare(a.InstanceID, b.InstanceID), cmp.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	return due, nil
}

// Recoverable implements persistence.Journal. It calls fn without holding the lock, so
// fn may use the journal.
func (j *Journal) Recoverable(ctx context.Context, fn func(instanceID string) error) error {
	ids, err := j.recoverable(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

func (j *Journal) recoverable(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, persistence.ErrClosed
	}
	var ids []string
	for id, inst := range j.instances {
		if inst.recover {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Outbox implements persistence.Journal. Like Recoverable, it calls fn unlocked.
func (j *Journal) Outbox(ctx context.Context, fn func(persistence.Message) error) error {
	msgs, err := j.outbox(ctx)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func (j *Journal) outbox(ctx context.Context) ([]persistence.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, persistence.ErrClosed
	}
	var msgs []persistence.Message
	for _, inst := range j.instances {
		for _, m := range inst.outbox {
			msgs = append(msgs, cloneMessage(m))
		}
	}
	slices.SortFunc(msgs, func(a, b persistence.Message) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.ID, b.ID))
	})
	return msgs, nil
}
