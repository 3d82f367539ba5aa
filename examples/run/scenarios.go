package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/godurable/durable"
	"github.com/godurable/durable/examples"
)

// The seed's new hires.
var (
	johnny = examples.Employee{Name: "Johnny Lawrence", Email: "johnny.lawrence@eaglefang.com", StartDate: "01.02.2022", Role: "developer"}
	daniel = examples.Employee{Name: "Daniel LaRusso", Email: "daniel.larusso@miyagido.com", StartDate: "15.02.2022", Role: "sales"}
	terry  = examples.Employee{Name: "Terry Silver", Email: "terry.silver@cobrakai.com", StartDate: "01.03.2022", Role: "manager"}
)

func scenarios() []scenario {
	inStock := examples.Order{ID: "A-1001", Customer: johnny.Name, Email: johnny.Email, Lines: []examples.OrderLine{
		{Product: "karate gi", Quantity: 2, PriceCents: 4_999}, {Product: "headband", Quantity: 3, PriceCents: 500},
	}}
	outOfStock := examples.Order{ID: "A-1002", Customer: daniel.Name, Email: daniel.Email, Lines: []examples.OrderLine{
		{Product: "bonsai tree", Quantity: 5, PriceCents: 8_000},
	}}
	doc := examples.DocumentRequest{Title: "Q3 dojo budget", Author: daniel.Name, Manager: terry.Name}
	quickDoc := doc
	quickDoc.ApprovalTimeoutSeconds = 1
	return []scenario{
		{name: "Chaining", start: startOnly("Chaining", nil), want: output("F1 -> F2 -> F3 -> F4")},
		{name: "ProcessOrderOrchestrator (in stock)", start: startOnly("ProcessOrderOrchestrator", inStock),
			want: output(examples.OrderSucceeded)},
		{name: "ProcessOrderOrchestrator (out of stock)", start: startOnly("ProcessOrderOrchestrator", outOfStock),
			want: output(examples.OrderFailed)},
		{name: "FanOutFanInOrchestrator", start: startOnly("FanOutFanInOrchestrator", nil),
			want: output([]string{"Task1 completed", "Task2 completed", "Task3 completed"})},
		{name: "OnboardingOrchestrator", start: startOnly("OnboardingOrchestrator", johnny),
			want: output(onboarded(johnny))},
		parallelOnboarding(),
		{name: "OnboardingOrchestratorExternalEvent (developer)",
			start: startOnly("OnboardingOrchestratorExternalEvent", examples.EmployeeApproval{Employee: johnny}),
			want:  output(onboarded(johnny)[1])},
		{name: "OnboardingOrchestratorExternalEvent (approved)",
			start: approve("OnboardingOrchestratorExternalEvent", examples.EmployeeApproval{Employee: daniel},
				examples.WaitingForApproval, "ApprovalRequest", "approved"),
			want: output(onboarded(daniel)[1])},
		{name: "OnboardingOrchestratorExternalEvent (declined)",
			start: approve("OnboardingOrchestratorExternalEvent", examples.EmployeeApproval{Employee: daniel},
				examples.WaitingForApproval, "ApprovalRequest", "declined"),
			want: output(examples.OrderDeclined)},
		{name: "OnboardingOrchestratorExternalEvent (1 s timeout)",
			start: startOnly("OnboardingOrchestratorExternalEvent",
				examples.EmployeeApproval{Employee: daniel, ApprovalTimeoutSeconds: 1}),
			want: output(examples.OrderDeclined)},
		{name: "MonitorExternalServiceOrchestrator",
			start: startOnly("MonitorExternalServiceOrchestrator",
				examples.MonitorInput{Service: "inventory-api", IntervalSeconds: 0.25, RemainingChecks: 3}),
			want: output(examples.MonitorReport{Service: "inventory-api", Checks: 3, Outages: 1, Up: true})},
		{name: "DocumentApprovalOrchestrator (approved)",
			start: approve("DocumentApprovalOrchestrator", doc, "Waiting for approval by "+terry.Name, "ApprovalEvent",
				examples.ApprovalDecision{Approved: true, Approver: terry.Name}),
			want: output(`Document "Q3 dojo budget" was approved by Terry Silver and finalized`)},
		{name: "DocumentApprovalOrchestrator (1 s timeout)",
			start: startOnly("DocumentApprovalOrchestrator", quickDoc),
			want:  output(`Approval of "Q3 dojo budget" was escalated: no decision from Terry Silver within 1s`)},
	}
}

func parallelOnboarding() scenario {
	employees := []examples.Employee{johnny, daniel, terry}
	return scenario{
		name:  "ParallelOnboardingOrchestrator",
		start: startOnly("ParallelOnboardingOrchestrator", examples.Employees{Employees2Onboard: employees}),
		want: func(st *durable.Status) error {
			var want []examples.OnboardingResult
			for _, e := range employees {
				want = append(want, examples.OnboardingResult{
					Name: e.Name, InstanceID: st.InstanceID + ":" + e.Name, Messages: onboarded(e),
				})
			}
			return output(want)(st)
		},
		summary: func(st *durable.Status) string {
			var results []examples.OnboardingResult
			if err := st.DecodeOutput(&results); err != nil {
				return display(st.Output)
			}
			names := make([]string, len(results))
			for i, r := range results {
				names[i] = r.Name
			}
			return fmt.Sprintf("onboarded %d employees: %s", len(results), strings.Join(names, ", "))
		},
		children: func(st *durable.Status) []string {
			var ids []string
			for _, e := range employees {
				ids = append(ids, st.InstanceID+":"+e.Name)
			}
			return ids
		},
	}
}

// onboarded is what OnboardingOrchestrator reports for e.
func onboarded(e examples.Employee) []string {
	return []string{
		"Access card was created for " + e.Name + ".",
		"Role specific IT equipment (role: " + e.Role + ") was ordered for " + e.Name + ".",
		"Welcome email was sent to " + e.Email + ".",
	}
}

func startOnly(name string, input any) func(context.Context, *durable.Client) (string, error) {
	return func(ctx context.Context, c *durable.Client) (string, error) {
		return c.Start(ctx, name, input)
	}
}

// approve starts the orchestrator, waits until its custom status says it waits for
// the event, and raises the event with data, as the approving person would.
func approve(name string, input any, waiting, event string, data any) func(context.Context, *durable.Client) (string, error) {
	return func(ctx context.Context, c *durable.Client) (string, error) {
		id, err := c.Start(ctx, name, input)
		if err != nil {
			return "", err
		}
		if _, err := examples.WaitForCustomStatus(ctx, c, id, waiting); err != nil {
			return id, err
		}
		return id, c.RaiseEvent(ctx, id, event, data)
	}
}

// output checks that the instance completed with want as its output.
func output(want any) func(*durable.Status) error {
	return func(st *durable.Status) error {
		if st.RuntimeStatus != durable.StatusCompleted {
			return fmt.Errorf("instance is %v, want Completed", st.RuntimeStatus)
		}
		w, err := json.Marshal(want)
		if err != nil {
			return err
		}
		if !jsonEqual(st.Output, w) {
			return fmt.Errorf("output %s, want %s", display(st.Output), display(w))
		}
		return nil
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return slices.Equal(xs, ys)
}
