package examples

import (
	"fmt"

	"github.com/godurable/durable/orchestrator"
)

// ParallelOnboardingOrchestrator is the onboarding lesson's sub-orchestration step: it
// onboards every employee of {"employees2onboard": [...]} at once, each in an
// OnboardingOrchestrator of its own with the id "{parentId}:{employee name}", so each
// employee's progress can be looked up by name. It returns one result per employee, in
// input order.
func ParallelOnboardingOrchestrator(ctx *orchestrator.Context, in Employees) ([]OnboardingResult, error) {
	employees := in.Employees2Onboard
	if len(employees) == 0 {
		ctx.Logger().Warn("No employees to onboard")
		return []OnboardingResult{}, nil
	}
	// Two employees of one name would ask for the same child id.
	seen := make(map[string]bool, len(employees))
	for _, e := range employees {
		if seen[e.Name] {
			return nil, fmt.Errorf("employee %q is listed twice: child instance ids are {parentId}:{name}", e.Name)
		}
		seen[e.Name] = true
	}
	onboardingList := make([]*orchestrator.Task[[]string], len(employees))
	results := make([]OnboardingResult, len(employees))
	for i, e := range employees {
		childID := ctx.InstanceID() + ":" + e.Name
		onboardingList[i] = orchestrator.CallSubOrchestrator[[]string](ctx, "OnboardingOrchestrator", e,
			orchestrator.WithInstanceID(childID))
		results[i] = OnboardingResult{Name: e.Name, InstanceID: childID}
	}
	ctx.Logger().Info(fmt.Sprintf("Starting %d sub-orchestrations for update", len(onboardingList)))
	messages, err := awaitAll(ctx, onboardingList)
	if err != nil {
		return nil, err
	}
	for i := range results {
		results[i].Messages = messages[i]
	}
	return results, nil
}
