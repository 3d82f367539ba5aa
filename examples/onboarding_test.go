package examples_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/examples"
)

// The seed's new hires.
var (
	johnny = examples.Employee{Name: "Johnny Lawrence", Email: "johnny.lawrence@eaglefang.com", StartDate: "01.02.2022", Role: "developer"}
	daniel = examples.Employee{Name: "Daniel LaRusso", Email: "daniel.larusso@miyagido.com", StartDate: "15.02.2022", Role: "sales"}
	terry  = examples.Employee{Name: "Terry Silver", Email: "terry.silver@cobrakai.com", StartDate: "01.03.2022", Role: "manager"}
)

func onboardingMessages(e examples.Employee) []string {
	return []string{
		"Access card was created for " + e.Name + ".",
		"Role specific IT equipment (role: " + e.Role + ") was ordered for " + e.Name + ".",
		"Welcome email was sent to " + e.Email + ".",
	}
}

func TestOnboardingOrchestrator(t *testing.T) {
	t.Parallel()
	// The seed posts the employee as raw JSON; the field names must match it.
	input := []byte(`{"name": "Johnny Lawrence", "email": "johnny.lawrence@eaglefang.com", "startdate": "01.02.2022", "role": "developer"}`)
	st := runToEnd(t, "OnboardingOrchestrator", json.RawMessage(input))
	want := []string{
		"Access card was created for Johnny Lawrence.",
		"Role specific IT equipment (role: developer) was ordered for Johnny Lawrence.",
		"Welcome email was sent to johnny.lawrence@eaglefang.com.",
	}
	if out := completed[[]string](t, st); !slices.Equal(out, want) {
		t.Fatalf("output %q, want %q", out, want)
	}
}

func TestParallelOnboardingOrchestrator(t *testing.T) {
	t.Parallel()
	employees := []examples.Employee{johnny, daniel, terry}
	st := runToEnd(t, "ParallelOnboardingOrchestrator", examples.Employees{Employees2Onboard: employees})
	results := completed[[]examples.OnboardingResult](t, st)
	if len(results) != len(employees) {
		t.Fatalf("%d results, want %d: %+v", len(results), len(employees), results)
	}
	for i, e := range employees {
		r := results[i]
		wantID := st.InstanceID + ":" + e.Name
		if r.Name != e.Name || r.InstanceID != wantID || !slices.Equal(r.Messages, onboardingMessages(e)) {
			t.Errorf("result %d = %+v, want %s with id %q and %q", i, r, e.Name, wantID, onboardingMessages(e))
		}
		child, err := rt.Client().Status(testCtx(t), wantID)
		if err != nil {
			t.Fatalf("child %q: %v", wantID, err)
		}
		if child.Name != "OnboardingOrchestrator" || child.RuntimeStatus != durable.StatusCompleted {
			t.Errorf("child %q is %s %v", wantID, child.Name, child.RuntimeStatus)
		}
		if out := completed[[]string](t, child); !slices.Equal(out, onboardingMessages(e)) {
			t.Errorf("child %q output %q", wantID, out)
		}
	}
}

func TestParallelOnboardingOrchestratorEdgeCases(t *testing.T) {
	t.Parallel()
	t.Run("nobody", func(t *testing.T) {
		t.Parallel()
		st := runToEnd(t, "ParallelOnboardingOrchestrator", json.RawMessage(`{"employees2onboard": []}`))
		if string(st.Output) != "[]" {
			t.Fatalf("%v %s", st.RuntimeStatus, st.Output)
		}
	})
	t.Run("same name twice", func(t *testing.T) {
		t.Parallel()
		st := runToEnd(t, "ParallelOnboardingOrchestrator", examples.Employees{Employees2Onboard: []examples.Employee{johnny, johnny}})
		if st.RuntimeStatus != durable.StatusFailed || st.Failure == nil ||
			!strings.Contains(st.Failure.Message, `employee "Johnny Lawrence" is listed twice`) {
			t.Fatalf("%v %s %+v", st.RuntimeStatus, st.Output, st.Failure)
		}
	})
}

func TestOnboardingOrchestratorExternalEvent(t *testing.T) {
	t.Parallel()
	salesOrder := "Role specific IT equipment (role: sales) was ordered for Daniel LaRusso."
	tests := []struct {
		name     string
		employee examples.Employee
		timeout  float64
		event    any // nil: raise nothing
		want     string
		status   string // custom status at the end; "" for none
	}{
		{"no approval needed", johnny, 0, nil,
			"Role specific IT equipment (role: developer) was ordered for Johnny Lawrence.", ""},
		{"approved", daniel, 0, "approved", salesOrder, "Approved"},
		{"declined", daniel, 0, "declined", examples.OrderDeclined, "Declined"},
		{"payload is not the string approved", daniel, 0, map[string]bool{"approved": true}, examples.OrderDeclined, "Declined"},
		{"timeout", daniel, 0.3, nil, examples.OrderDeclined, "Approval timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, c := testCtx(t), rt.Client()
			in := examples.EmployeeApproval{Employee: tt.employee, ApprovalTimeoutSeconds: tt.timeout}
			id, err := c.Start(ctx, "OnboardingOrchestratorExternalEvent", in)
			if err != nil {
				t.Fatal(err)
			}
			if tt.employee.Role == "sales" {
				if _, err := examples.WaitForCustomStatus(ctx, c, id, examples.WaitingForApproval); err != nil {
					t.Fatal(err)
				}
			}
			if tt.event != nil {
				if err := c.RaiseEvent(ctx, id, "ApprovalRequest", tt.event); err != nil {
					t.Fatal(err)
				}
			}
			// Without a timeout input the timer is 90 s: finishing within the test's
			// deadline shows the losing timer was cancelled.
			st, err := c.WaitForCompletion(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if out := completed[string](t, st); out != tt.want {
				t.Fatalf("output %q, want %q", out, tt.want)
			}
			if got := customStatus(t, st); got != tt.status {
				t.Fatalf("custom status %q, want %q", got, tt.status)
			}
		})
	}
}

func customStatus(t *testing.T, st *durable.Status) string {
	t.Helper()
	if st.CustomStatus == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(st.CustomStatus, &s); err != nil {
		t.Fatalf("custom status %s: %v", st.CustomStatus, err)
	}
	return s
}
