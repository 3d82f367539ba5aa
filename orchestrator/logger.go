package orchestrator

import (
	"context"
	"log/slog"
)

// replaySafeHandler drops records while the orchestration replays.
type replaySafeHandler struct {
	h slog.Handler
	e *Execution
}

func (r replaySafeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return !r.e.replaying && r.h.Enabled(ctx, l)
}

// Handle adds the orchestration's name and execution id, which the execution learns
// from its history after the logger is made.
func (r replaySafeHandler) Handle(ctx context.Context, rec slog.Record) error {
	if r.e.replaying {
		return nil
	}
	if r.e.name != "" {
		rec.AddAttrs(slog.String("name", r.e.name), slog.String("executionId", r.e.executionID))
	}
	return r.h.Handle(ctx, rec)
}

func (r replaySafeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return replaySafeHandler{h: r.h.WithAttrs(as), e: r.e}
}

func (r replaySafeHandler) WithGroup(name string) slog.Handler {
	return replaySafeHandler{h: r.h.WithGroup(name), e: r.e}
}
