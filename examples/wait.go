package examples

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/godurable/durable"
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
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("instance %s (custom status %s): %w", id, st.CustomStatus, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
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
