package history

import "fmt"

// RuntimeStatus is the lifecycle state of an orchestration instance.
type RuntimeStatus uint8

// The runtime statuses of the Durable Functions model. Values are stored in journals.
const (
	StatusPending RuntimeStatus = iota + 1
	StatusRunning
	StatusCompleted
	StatusContinuedAsNew
	StatusFailed
	StatusCanceled
	StatusTerminated
	StatusSuspended
)

var statusNames = [...]string{
	StatusPending:        "Pending",
	StatusRunning:        "Running",
	StatusCompleted:      "Completed",
	StatusContinuedAsNew: "ContinuedAsNew",
	StatusFailed:         "Failed",
	StatusCanceled:       "Canceled",
	StatusTerminated:     "Terminated",
	StatusSuspended:      "Suspended",
}

// String returns the status name used by the Durable Functions HTTP API.
func (s RuntimeStatus) String() string {
	if int(s) < len(statusNames) && statusNames[s] != "" {
		return statusNames[s]
	}
	return "Unknown"
}

// ParseRuntimeStatus parses a status name, case-insensitively.
func ParseRuntimeStatus(name string) (RuntimeStatus, error) {
	for s, n := range statusNames {
		if n != "" && equalFold(n, name) {
			return RuntimeStatus(s), nil
		}
	}
	return 0, fmt.Errorf("unknown runtime status %q", name)
}

// IsTerminal reports whether the instance has finished and can be purged or replaced.
func (s RuntimeStatus) IsTerminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusTerminated || s == StatusCanceled
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
