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

func (r replaySafeHandler) Handle(ctx context.Context, rec slog.Record) error {
	if r.e.replaying {
		return nil
	}
	return r.h.Handle(ctx, rec)
}

func (r replaySafeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return replaySafeHandler{h: r.h.WithAttrs(as), e: r.e}
}

func (r replaySafeHandler) WithGroup(name string) slog.Handler {
	return replaySafeHandler{h: r.h.WithGroup(name), e: r.e}
}
