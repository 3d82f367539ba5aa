package examples_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/examples"
)

func TestMonitorExternalServiceOrchestrator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      examples.MonitorInput
		want    examples.MonitorReport
		lastRun []string // activities of the final execution
	}{
		// The simulated service is down at the first check and up afterwards.
		{"recovers", examples.MonitorInput{Service: "inventory-api", IntervalSeconds: 0.05, RemainingChecks: 3},
			examples.MonitorReport{Service: "inventory-api", Checks: 3, Outages: 1, Up: true},
			[]string{"CheckExternalServiceStatus"}},
		{"stays down", examples.MonitorInput{Service: "always-down", IntervalSeconds: 0.05, RemainingChecks: 2},
			examples.MonitorReport{Service: "always-down", Checks: 2, Outages: 2, Up: false},
			[]string{"CheckExternalServiceStatus", "SendAlert"}},
		{"check fails", examples.MonitorInput{Service: "broken-probe", RemainingChecks: 1},
			examples.MonitorReport{Service: "broken-probe", Checks: 1, Outages: 1, Up: false},
			[]string{"CheckExternalServiceStatus", "SendAlert"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := runToEnd(t, "MonitorExternalServiceOrchestrator", tt.in)
			if got := completed[examples.MonitorReport](t, st); got != tt.want {
				t.Fatalf("output %+v, want %+v", got, tt.want)
			}
			// Each execution checks once, so the last one starting with Checks = n-1
			// means the monitor continued as new n-1 times.
			var last examples.MonitorInput
			if err := json.Unmarshal(st.Input, &last); err != nil {
				t.Fatalf("input %s: %v", st.Input, err)
			}
			if last.Checks != tt.want.Checks-1 || last.RemainingChecks != 1 {
				t.Fatalf("last execution started with %+v", last)
			}
			if got := scheduled(t, st.InstanceID); !slices.Equal(got, tt.lastRun) {
				t.Fatalf("last execution scheduled %v, want %v: history is one check long", got, tt.lastRun)
			}
		})
	}
}

func TestMonitorRunsUntilTerminated(t *testing.T) {
	t.Parallel()
	ctx, c := testCtx(t), rt.Client()
	id, err := c.Start(ctx, "MonitorExternalServiceOrchestrator",
		examples.MonitorInput{Service: "payments-api", IntervalSeconds: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	_, err = examples.WaitFor(ctx, c, id, func(st *durable.Status) bool {
		var r examples.MonitorReport
		return json.Unmarshal(st.CustomStatus, &r) == nil && r.Checks >= 3
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Terminate(ctx, id, "demo over"); err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.RuntimeStatus != durable.StatusTerminated || string(st.Output) != `"demo over"` {
		t.Fatalf("%v %s", st.RuntimeStatus, st.Output)
	}
}
