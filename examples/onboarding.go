package examples

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/godurable/durable/orchestrator"
)

// OnboardingOrchestrator is the onboarding lesson's fan-out/fan-in: creating the access
// card, ordering the IT equipment and sending the welcome email do not depend on each
// other, so all three start at once and the orchestration waits for the last. It
// returns the three activities' messages in that order.
func OnboardingOrchestrator(ctx *orchestrator.Context, employee Employee) ([]string, error) {
	onboardingTasks := []*orchestrator.Task[string]{
		orchestrator.CallActivity[string](ctx, "AccessCardCreationActivity", employee),
		orchestrator.CallActivity[string](ctx, "ItEquipmentOrderActivity", employee),
		orchestrator.CallActivity[string](ctx, "WelcomeEmailActivity", employee),
	}
	return awaitAll(ctx, onboardingTasks)
}

// AccessCardCreationActivity stands in for the building's access card system.
func AccessCardCreationActivity(ctx context.Context, e Employee) (string, error) {
	slog.InfoContext(ctx, fmt.Sprintf("Access card created for %s starting on %s", e.Name, e.StartDate))
	return fmt.Sprintf("Access card was created for %s.", e.Name), nil
}

// ItEquipmentOrderActivity stands in for the purchasing of the role's IT equipment.
func ItEquipmentOrderActivity(ctx context.Context, e Employee) (string, error) {
	slog.InfoContext(ctx, fmt.Sprintf("Role specific IT equipment (role: %s) was ordered for %s starting on %s",
		e.Role, e.Name, e.StartDate))
	return fmt.Sprintf("Role specific IT equipment (role: %s) was ordered for %s.", e.Role, e.Name), nil
}

// WelcomeEmailActivity stands in for the welcome email.
func WelcomeEmailActivity(ctx context.Context, e Employee) (string, error) {
	slog.InfoContext(ctx, fmt.Sprintf("Welcome %s! Happy to have you on board and see you on %s!", e.Name, e.StartDate))
	return fmt.Sprintf("Welcome email was sent to %s.", e.Email), nil
}
