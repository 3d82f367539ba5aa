package orchestrator

import "github.com/godurable/durable/history"

// RemoteStep is one step of an orchestration whose code runs outside the process (a
// Durable Task SDK's worker): the events of its execution so far, and the new ones the
// step applies, the first of them OrchestratorStarted with the turn's time.
type RemoteStep struct {
	InstanceID, ExecutionID string
	Past, New               []history.Event
}

// Remote takes the steps of orchestrations that no Go code registered. It answers each
// step once, from any goroutine, through done: with the Turn the step adds (the events
// of the actions taken, and ExecutionCompleted when the execution ended; New is
// recorded already), or with an error when no answer came (the step is then taken
// again later: a worker's failure is not the orchestration's).
type Remote func(step RemoteStep, done func(Turn, error))
