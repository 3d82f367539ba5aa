package memjournal

import (
	"bytes"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// The journal and its callers must never share memory, so everything that crosses the
// interface goes through these copies. Empty byte slices become nil, as they do in a
// journal that stores bytes on disk.

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

// storedTime drops the monotonic reading, which no stored time can keep.
func storedTime(t time.Time) time.Time { return t.Round(0) }

func cloneFailure(f *history.Failure) *history.Failure {
	if f == nil {
		return nil
	}
	c := *f
	c.Inner = cloneFailure(f.Inner)
	return &c
}

func cloneParent(p *history.ParentRef) *history.ParentRef {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func cloneEvent(e history.Event) history.Event {
	e.Time = storedTime(e.Time)
	e.FireAt = storedTime(e.FireAt)
	e.Input = cloneBytes(e.Input)
	e.Result = cloneBytes(e.Result)
	e.Failure = cloneFailure(e.Failure)
	e.Parent = cloneParent(e.Parent)
	return e
}

func cloneEvents(events []history.Event) []history.Event {
	out := make([]history.Event, len(events))
	for i, e := range events {
		out[i] = cloneEvent(e)
	}
	return out
}

// cloneRow copies an index row without its payloads, which are kept apart.
func cloneRow(in *persistence.Instance) persistence.Instance {
	c := *in
	c.CreatedAt = storedTime(c.CreatedAt)
	c.UpdatedAt = storedTime(c.UpdatedAt)
	c.CustomStatus = cloneBytes(c.CustomStatus)
	c.Failure = cloneFailure(c.Failure)
	c.Parent = cloneParent(c.Parent)
	c.Input, c.Output = nil, nil
	return c
}

func cloneTimer(t persistence.Timer) persistence.Timer {
	t.FireAt = storedTime(t.FireAt)
	t.Payload = cloneBytes(t.Payload)
	return t
}

func cloneMessage(m persistence.Message) persistence.Message {
	m.Payload = cloneBytes(m.Payload)
	return m
}
