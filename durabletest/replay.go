package durabletest

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/typed"
	"github.com/godurable/durable/orchestrator"
)

// Replay replays a saved history against fn, an orchestrator of one of the forms
// RegisterOrchestrator takes, as the runtime would replay the instance after a restart
// with fn as its code. It returns nil when fn takes the actions the history records,
// in order; an *orchestrator.NonDeterminismError naming the first step where it does
// not; or an error saying what else went wrong (fn panicked, or the history records an
// end that fn does not reach).
//
// saved is one of:
//   - the instance status of the HTTP API with showHistory=true&showHistoryOutput=true,
//     which `durable status ID --history --json` prints;
//   - a durable.Status from Client.Status with durable.WithHistory, as JSON;
//   - its History alone, as JSON.
//
// The HTTP API keeps times to the millisecond: code whose actions depend on finer
// times (ctx.NewGUID as a sub-orchestration's id) replays only from the full history.
func Replay(saved []byte, fn any) error {
	id, events, err := decodeSaved(saved)
	if err != nil {
		return err
	}
	f, err := typed.Adapt[*orchestrator.Context]("orchestrator", fn)
	if err != nil {
		return fmt.Errorf("durabletest: %w", err)
	}
	e := orchestrator.NewExecution(id, orchestrator.Func(f), orchestrator.Options{Logger: slog.New(slog.DiscardHandler)})
	defer e.Stop()
	e.Replay(events)
	return replayOutcome(e, events)
}

// ReplayFile is Replay of the history saved in the file at path.
func ReplayFile(path string, fn any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("durabletest: %w", err)
	}
	if err := Replay(b, fn); err != nil {
		var nd *orchestrator.NonDeterminismError
		if errors.As(err, &nd) {
			return err
		}
		return fmt.Errorf("%w (in %s)", err, path)
	}
	return nil
}

// replayOutcome judges a finished replay: the code's own failures are the history's
// business, as long as the history records the same end.
func replayOutcome(e *orchestrator.Execution, events []history.Event) error {
	err := e.Err()
	var nd *orchestrator.NonDeterminismError
	if errors.As(err, &nd) {
		return nd
	}
	recorded, ended := recordedEnd(events)
	var pe *orchestrator.PanicError
	switch {
	case errors.As(err, &pe) && !(ended && recorded == history.StatusFailed):
		return fmt.Errorf("durabletest: the orchestrator panicked during replay: %v\n%s", pe.Value, pe.Stack)
	case ended && e.Status() != recorded:
		code := "does not end"
		if e.Ended() {
			code = "ends " + e.Status().String()
		}
		return fmt.Errorf("durabletest: the history ends %s, but replayed the code %s%s", recorded, code, because(err))
	}
	return nil
}

// recordedEnd returns the status the history ended with, if it ended.
func recordedEnd(events []history.Event) (history.RuntimeStatus, bool) {
	for i := len(events) - 1; i >= 0; i-- {
		switch events[i].Type {
		case history.EventExecutionCompleted:
			return events[i].Status, true
		case history.EventExecutionTerminated:
			return history.StatusTerminated, true
		}
	}
	return 0, false
}

func because(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}
