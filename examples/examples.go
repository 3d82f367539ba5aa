package examples

import (
	"context"
	"errors"
	"fmt"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
)

// Employee is a new hire, as the onboarding seeds post it:
//
//	{"name": "Johnny Lawrence", "email": "johnny.lawrence@eaglefang.com", "startdate": "01.02.2022", "role": "developer"}
type Employee struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	StartDate string `json:"startdate"`
	Role      string `json:"role"`
}

// Employees is the input of ParallelOnboardingOrchestrator.
type Employees struct {
	Employees2Onboard []Employee `json:"employees2onboard"`
}

// OnboardingResult is what ParallelOnboardingOrchestrator reports per employee: the
// id of the child orchestration that onboarded them and that child's messages.
type OnboardingResult struct {
	Name       string   `json:"name"`
	InstanceID string   `json:"instanceId"`
	Messages   []string `json:"messages"`
}

// EmployeeApproval is the input of OnboardingOrchestratorExternalEvent: the employee
// fields at the top level, as the seed posts them, plus an optional shorter wait.
type EmployeeApproval struct {
	Employee
	// ApprovalTimeoutSeconds bounds the wait for ApprovalRequest (default 90).
	ApprovalTimeoutSeconds float64 `json:"approvalTimeoutSeconds,omitempty"`
}

// Order is the input of ProcessOrderOrchestrator.
type Order struct {
	ID       string      `json:"id"`
	Customer string      `json:"customer"`
	Email    string      `json:"email"`
	Lines    []OrderLine `json:"lines"`
}

// OrderLine is one product of an order. Prices are in cents so totals add up exactly.
type OrderLine struct {
	Product    string `json:"product"`
	Quantity   int    `json:"quantity"`
	PriceCents int    `json:"priceCents"`
}

// TotalCents is what the customer pays for the order.
func (o Order) TotalCents() int {
	total := 0
	for _, l := range o.Lines {
		total += l.Quantity * l.PriceCents
	}
	return total
}

// Option configures Register.
type Option func(*options)

type options struct {
	checkService func(context.Context, ServiceCheck) (bool, error)
}

// WithServiceCheck replaces the CheckExternalServiceStatus activity, for example with a
// real health check, or with a test double that decides when the service is down.
func WithServiceCheck(check func(context.Context, ServiceCheck) (bool, error)) Option {
	return func(o *options) { o.checkService = check }
}

// Register registers every orchestrator, activity and entity of the examples under the
// names the seeds use, so instances can be started, and entities signaled, by those
// names.
func Register(rt *durable.Runtime, opts ...Option) error {
	o := options{checkService: CheckExternalServiceStatus}
	for _, f := range opts {
		f(&o)
	}
	orchestrators := []struct {
		name string
		fn   any
	}{
		{"Chaining", Chaining},
		{"ProcessOrderOrchestrator", ProcessOrderOrchestrator},
		{"FanOutFanInOrchestrator", FanOutFanInOrchestrator},
		{"OnboardingOrchestrator", OnboardingOrchestrator},
		{"ParallelOnboardingOrchestrator", ParallelOnboardingOrchestrator},
		{"OnboardingOrchestratorExternalEvent", OnboardingOrchestratorExternalEvent},
		{"MonitorExternalServiceOrchestrator", MonitorExternalServiceOrchestrator},
		{"DocumentApprovalOrchestrator", DocumentApprovalOrchestrator},
		{"CounterOrchestration", CounterOrchestration},
		{"RecordSensorReadings", RecordSensorReadings},
		{"TransferFunds", TransferFunds},
	}
	activities := []struct {
		name string
		fn   any
	}{
		{"F1", F1}, {"F2", F2}, {"F3", F3}, {"F4", F4},
		{"ValidateOrder", ValidateOrder},
		{"CheckInventory", CheckInventory},
		{"ProcessPayment", ProcessPayment},
		{"SendConfirmationEmail", SendConfirmationEmail},
		{"ProcessTask", ProcessTask},
		{"AccessCardCreationActivity", AccessCardCreationActivity},
		{"ItEquipmentOrderActivity", ItEquipmentOrderActivity},
		{"WelcomeEmailActivity", WelcomeEmailActivity},
		{"CheckItEquipmentValueByRoleActivity", CheckItEquipmentValueByRoleActivity},
		{"CheckExternalServiceStatus", o.checkService},
		{"SendAlert", SendAlert},
		{"GenerateDocument", GenerateDocument},
		{"RequestApproval", RequestApproval},
		{"FinalizeDocument", FinalizeDocument},
		{"Escalate", Escalate},
	}
	entityFuncs := []struct {
		name string
		fn   entities.Func
	}{
		{"Counter", entities.Typed[Counter]()},
		{"SensorAggregator", entities.Typed[SensorAggregator]()},
		{"Account", entities.Typed[Account]()},
	}
	var errs []error
	for _, r := range orchestrators {
		if err := rt.RegisterOrchestrator(r.name, r.fn); err != nil {
			errs = append(errs, fmt.Errorf("register orchestrator %s: %w", r.name, err))
		}
	}
	for _, r := range activities {
		if err := rt.RegisterActivity(r.name, r.fn); err != nil {
			errs = append(errs, fmt.Errorf("register activity %s: %w", r.name, err))
		}
	}
	for _, r := range entityFuncs {
		if err := rt.RegisterEntity(r.name, r.fn); err != nil {
			errs = append(errs, fmt.Errorf("register entity %s: %w", r.name, err))
		}
	}
	return errors.Join(errs...)
}
