package examples

import (
	"context"
	"encoding/json"
	"time"

	"github.com/godurable/durable/orchestrator"
)

// What OnboardingOrchestratorExternalEvent says and shows.
const (
	// OrderDeclined is the output when approval was refused or never came.
	OrderDeclined = "Order was declined"
	// WaitingForApproval is the custom status while the ApprovalRequest event is
	// awaited; raise the event once a status query shows it.
	WaitingForApproval = "Waiting for approval"
	// DefaultEquipmentApprovalTimeout is how long approval is awaited, as in the seed.
	DefaultEquipmentApprovalTimeout = 90 * time.Second
)

// OnboardingOrchestratorExternalEvent is the onboarding lesson's human interaction:
// equipment for some roles is too expensive to order without a manager's approval.
// When CheckItEquipmentValueByRoleActivity says so, the orchestration waits for the
// ApprovalRequest external event, racing it against a durable timer (90 s unless
// approvalTimeoutSeconds says otherwise). The payload "approved" orders the equipment
// and returns ItEquipmentOrderActivity's message; any other payload, or the timeout,
// returns "Order was declined". Roles that need no approval order at once.
func OnboardingOrchestratorExternalEvent(ctx *orchestrator.Context, in EmployeeApproval) (string, error) {
	checkResult, err := orchestrator.CallActivity[string](ctx, "CheckItEquipmentValueByRoleActivity", in.Employee).Await()
	if err != nil {
		return "", err
	}
	if checkResult != "approved" {
		approved, err := awaitEquipmentApproval(ctx, seconds(in.ApprovalTimeoutSeconds, DefaultEquipmentApprovalTimeout))
		if err != nil {
			return "", err
		}
		if !approved {
			ctx.Logger().Warn(OrderDeclined, "employee", in.Name)
			return OrderDeclined, nil
		}
	}
	return orchestrator.CallActivity[string](ctx, "ItEquipmentOrderActivity", in.Employee).Await()
}

// awaitEquipmentApproval races the ApprovalRequest event against a timer, as the seed
// does with Task.any, and reports whether the order was approved.
func awaitEquipmentApproval(ctx *orchestrator.Context, timeout time.Duration) (bool, error) {
	if err := ctx.SetCustomStatus(WaitingForApproval); err != nil {
		return false, err
	}
	timeoutTask := ctx.CreateTimer(timeout)
	approvalTask := orchestrator.WaitForExternalEvent[json.RawMessage](ctx, "ApprovalRequest")
	winner := orchestrator.WhenAny(ctx, approvalTask, timeoutTask)
	// The losing timer must go, or the orchestration could not complete before it fired.
	timeoutTask.Cancel()

	if winner != approvalTask {
		ctx.Logger().Warn("Timeout expired", "timeout", timeout)
		return false, ctx.SetCustomStatus("Approval timed out")
	}
	payload, err := approvalTask.Await()
	if err != nil {
		return false, err
	}
	// Any payload but the JSON string "approved" declines, malformed ones included.
	var answer string
	if json.Unmarshal(payload, &answer) != nil || answer != "approved" {
		return false, ctx.SetCustomStatus("Declined")
	}
	return true, ctx.SetCustomStatus("Approved")
}

// CheckItEquipmentValueByRoleActivity stands in for the spending limit check: the
// equipment of the "sales" role exceeds it and needs approval.
func CheckItEquipmentValueByRoleActivity(_ context.Context, e Employee) (string, error) {
	if e.Role == "sales" {
		return "approval needed", nil
	}
	return "approved", nil
}

// seconds turns an optional input field into a duration, falling back to def when the
// field is absent or not positive.
func seconds(s float64, def time.Duration) time.Duration {
	if s <= 0 {
		return def
	}
	return time.Duration(s * float64(time.Second))
}
