package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/godurable/durable"
)

// waitForCustomStatus polls the instance until its custom status is want, backing off
// a little after each look. An event raised before the instance waits would be kept
// for it anyway; waiting first shows the status a person would see before acting.
func waitForCustomStatus(ctx context.Context, c *durable.Client, id string, want any) error {
	w, err := json.Marshal(want)
	if err != nil {
		return err
	}
	backoff := 5 * time.Millisecond
	for {
		st, err := c.Status(ctx, id)
		if err != nil {
			return err
		}
		if string(st.CustomStatus) == string(w) {
			return nil
		}
		if st.RuntimeStatus.IsTerminal() {
			return fmt.Errorf("instance finished as %v before showing custom status %s", st.RuntimeStatus, w)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("custom status %s never showed: %w", w, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}
