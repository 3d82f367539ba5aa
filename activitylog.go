package durable

import (
	"context"
	"log/slog"

	"github.com/godurable/durable/actors"
)

// ActivityLogger returns the runtime's logger (Config.Logger) for the activity running
// with ctx, its records carrying the instance id, execution id, activity name and task
// id, so that an activity's lines read next to its orchestration's. Outside an activity
// it returns slog.Default().
func ActivityLogger(ctx context.Context) *slog.Logger {
	if log, ok := actors.ActivityLogger(ctx); ok {
		return log
	}
	return slog.Default()
}
