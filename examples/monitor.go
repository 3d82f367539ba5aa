package examples

import (
	"context"
	"log/slog"
	"time"

	"github.com/godurable/durable/orchestrator"
)

// DefaultMonitorInterval is the pause between checks, as in the seed.
const DefaultMonitorInterval = 5 * time.Minute

// MonitorInput is the input of MonitorExternalServiceOrchestrator. Checks and Outages
// carry the tally from one execution to the next; starters leave them zero.
type MonitorInput struct {
	Service string `json:"service"`
	// IntervalSeconds is the pause between checks (default 300).
	IntervalSeconds float64 `json:"intervalSeconds,omitempty"`
	// RemainingChecks stops the monitor after this many more checks; when it is not
	// positive the monitor runs until terminated, like the seed's.
	RemainingChecks int `json:"remainingChecks,omitempty"`
	Checks          int `json:"checks,omitempty"`
	Outages         int `json:"outages,omitempty"`
}

// ServiceCheck is the input of CheckExternalServiceStatus and SendAlert: which service,
// and which check this is (1 for the first).
type ServiceCheck struct {
	Service string `json:"service"`
	Check   int    `json:"check"`
}

// MonitorReport is the monitor's custom status after every check and its output when
// it stops: how many checks ran, how many found the service down, and the last result.
type MonitorReport struct {
	Service string `json:"service"`
	Checks  int    `json:"checks"`
	Outages int    `json:"outages"`
	Up      bool   `json:"up"`
}

// MonitorExternalServiceOrchestrator is the seed article's monitor, an eternal
// orchestration: check the service, alert if it is down, sleep on a durable timer, and
// start over with ContinueAsNew, which keeps the history one check long however long
// the monitor runs. The tally travels in the input of the next execution. Unlike the
// seed's, it can stop: after RemainingChecks checks it returns its MonitorReport.
func MonitorExternalServiceOrchestrator(ctx *orchestrator.Context, in MonitorInput) (MonitorReport, error) {
	check := ServiceCheck{Service: in.Service, Check: in.Checks + 1}
	up, err := orchestrator.CallActivity[bool](ctx, "CheckExternalServiceStatus", check).Await()
	if err != nil {
		// A check that cannot tell counts as an outage: the monitor must outlive the
		// service it watches.
		ctx.Logger().Warn("service check failed", "service", in.Service, "err", err)
		up = false
	}
	in.Checks++
	if !up {
		in.Outages++
		if _, err := orchestrator.CallActivity[struct{}](ctx, "SendAlert", check).Await(); err != nil {
			ctx.Logger().Warn("alert failed", "service", in.Service, "err", err)
		}
	}
	report := MonitorReport{Service: in.Service, Checks: in.Checks, Outages: in.Outages, Up: up}
	if err := ctx.SetCustomStatus(report); err != nil {
		return MonitorReport{}, err
	}
	if in.RemainingChecks == 1 {
		return report, nil
	}
	if in.RemainingChecks > 1 {
		in.RemainingChecks--
	}
	if err := ctx.CreateTimer(seconds(in.IntervalSeconds, DefaultMonitorInterval)).Await(); err != nil {
		return MonitorReport{}, err
	}
	return MonitorReport{}, ctx.ContinueAsNew(in)
}

// CheckExternalServiceStatus stands in for the seed's HTTP health check with a
// simulated service that is still starting at the first check (down) and up at every
// later one, so the demo shows an alert and a recovery the same way on every run.
// Register's WithServiceCheck replaces it.
func CheckExternalServiceStatus(ctx context.Context, c ServiceCheck) (bool, error) {
	up := c.Check > 1
	if up {
		slog.InfoContext(ctx, "External service is up.", "service", c.Service, "check", c.Check)
	} else {
		slog.WarnContext(ctx, "External service is down.", "service", c.Service, "check", c.Check)
	}
	return up, nil
}

// SendAlert stands in for paging the operations team about a service that is down.
func SendAlert(ctx context.Context, c ServiceCheck) error {
	slog.WarnContext(ctx, "alert: external service is down", "service", c.Service, "check", c.Check)
	return nil
}
