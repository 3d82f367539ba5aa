package examples

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
)

// WaitFor polls the instance's status until done accepts it, backing off from 5 ms to
// 100 ms between looks, and gives up when ctx ends or the instance finishes without
// being accepted. Client.WaitForCompletion covers the end of an instance; this covers
// the states in between, such as a custom status.
func WaitFor(ctx context.Context, c *durable.Client, id string, done func(*durable.Status) bool) (*durable.Status, error) {
	backoff := 5 * time.Millisecond
	for {
		st, err := c.Status(ctx, id)
		if err != nil {
			return nil, err
		}
		if done(st) {
			return st, nil
		}
		if st.RuntimeStatus.IsTerminal() {
			return st, fmt.Errorf("instance %s finished as %v (custom status %s) before the awaited state",
				id, st.RuntimeStatus, st.CustomStatus)
		}
		if err := pause(ctx, &backoff); err != nil {
			return st, fmt.Errorf("instance %s (custom status %s): %w", id, st.CustomStatus, err)
		}
	}
}

// WaitForEntity polls the entity's committed state until done accepts it, backing off
// as WaitFor does; done gets nil while the entity does not exist. Signals are
// one-way, so this is how a client learns that the operations it signaled have run:
// it waits for the state they lead to, such as a count reached, a lock released or,
// after "delete", no entity at all.
func WaitForEntity(ctx context.Context, c *durable.Client, id entities.ID, done func(*durable.EntityState) bool) (*durable.EntityState, error) {
	backoff := 5 * time.Millisecond
	for {
		st, err := c.Entity(ctx, id)
		if errors.Is(err, durable.ErrEntityNotFound) {
			st, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
		if done(st) {
			return st, nil
		}
		if err := pause(ctx, &backoff); err != nil {
			return st, fmt.Errorf("entity %s (state %s): %w", id, stateOf(st), err)
		}
	}
}

func stateOf(st *durable.EntityState) string {
	if st == nil {
		return "none"
	}
	if st.LockedBy != "" {
		return fmt.Sprintf("%s, locked by %s", st.State, st.LockedBy)
	}
	return string(st.State)
}

// pause waits *backoff, then doubles it up to 100 ms, or returns ctx's error.
func pause(ctx context.Context, backoff *time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(*backoff):
	}
	*backoff = min(*backoff*2, 100*time.Millisecond)
	return nil
}

// WaitForCustomStatus waits until the instance's custom status equals want, once both
// are JSON. The human-interaction examples publish a status such as "Waiting for
// approval"; an event raised earlier would be kept for the instance anyway, but
// waiting for it is what a person looking at the status would do.
func WaitForCustomStatus(ctx context.Context, c *durable.Client, id string, want any) (*durable.Status, error) {
	w, err := json.Marshal(want)
	if err != nil {
		return nil, fmt.Errorf("encode custom status: %w", err)
	}
	return WaitFor(ctx, c, id, func(st *durable.Status) bool { return string(st.CustomStatus) == string(w) })
}
