package instance

import (
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/validate"
	"github.com/godurable/durable/persistence"
)

// newExec returns the execution of version version of the orchestration named name:
// the Go code registered as that version, or else, for a name no Go code is
// registered under at any version, the remote runner, if one is set. A version of a
// Go orchestrator with no code gets nothing, rather than another version's code.
func (a *instance) newExec(name, version string) (Replay, bool) {
	reg := a.h.Registry
	if fn, ok := reg.Orchestrator(name, version); ok {
		return a.h.NewExecution(a.id, fn), true
	}
	if remote := reg.Remote(); remote != nil && !reg.Registered(name) {
		return newRemoteExec(a.id, remote), true
	}
	return nil, false
}

// startedVersion returns the version of the execution hist holds, as its
// ExecutionStarted records it; the row's for a history without one.
func startedVersion(hist []history.Event, row *persistence.Instance) string {
	for i := range hist {
		if hist[i].Type == history.EventExecutionStarted {
			return hist[i].Version
		}
	}
	return row.OrchestrationVersion
}

// unregisteredError is why an instance whose code is not registered cannot run.
type unregisteredError struct{ name, version string }

func (e *unregisteredError) Error() string {
	if e.version == "" {
		return "orchestrator " + e.name + " is not registered in this process"
	}
	return "orchestrator " + e.name + " has no version " + validate.DescribeVersion(e.version) + " registered in this process"
}

// versioned is the version attribute of a record about row's instance: none for the
// unversioned code, whose records read as they did before versions.
func versioned(row *persistence.Instance) []any {
	if row.OrchestrationVersion == "" {
		return nil
	}
	return []any{"version", row.OrchestrationVersion}
}
