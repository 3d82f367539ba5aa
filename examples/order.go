package examples

import (
	"context"
	"log/slog"

	"github.com/godurable/durable/orchestrator"
)

// The outcomes ProcessOrderOrchestrator returns, as in the seed article.
const (
	OrderSucceeded = "Order processed successfully!"
	OrderFailed    = "Order processing failed."
)

// PaymentLimitCents is the largest total ProcessPayment approves, so the demo can show
// a declined payment without a payment provider.
const PaymentLimitCents = 100_000

// ProcessOrderOrchestrator is the seed article's order processing workflow, function
// chaining with decisions: validate the order, check the inventory, take the payment
// and send the confirmation, stopping at the first step that says no.
func ProcessOrderOrchestrator(ctx *orchestrator.Context, order Order) (string, error) {
	for _, step := range []string{"ValidateOrder", "CheckInventory", "ProcessPayment"} {
		ok, err := orchestrator.CallActivity[bool](ctx, step, order).Await()
		if err != nil {
			return "", err
		}
		if !ok {
			ctx.Logger().Warn("order stopped", "order", order.ID, "step", step)
			return OrderFailed, nil
		}
	}
	if _, err := orchestrator.CallActivity[struct{}](ctx, "SendConfirmationEmail", order).Await(); err != nil {
		return "", err
	}
	return OrderSucceeded, nil
}

// ValidateOrder accepts an order that names its customer's email and has at least one
// line, every line with a positive quantity and no negative price.
func ValidateOrder(_ context.Context, order Order) (bool, error) {
	if order.ID == "" || order.Email == "" || len(order.Lines) == 0 {
		return false, nil
	}
	for _, l := range order.Lines {
		if l.Product == "" || l.Quantity <= 0 || l.PriceCents < 0 {
			return false, nil
		}
	}
	return true, nil
}

// CheckInventory reports whether the demo warehouse stocks every line of the order.
func CheckInventory(_ context.Context, order Order) (bool, error) {
	for _, l := range order.Lines {
		if l.Quantity > stockOf(l.Product) {
			return false, nil
		}
	}
	return true, nil
}

// stockOf is the demo warehouse: a fixed stock, so outcomes never depend on earlier runs.
func stockOf(product string) int {
	switch product {
	case "karate gi":
		return 25
	case "black belt":
		return 10
	case "headband":
		return 100
	case "bonsai tree":
		return 2
	default:
		return 0
	}
}

// ProcessPayment charges the order's total; the demo provider declines totals over
// PaymentLimitCents.
func ProcessPayment(ctx context.Context, order Order) (bool, error) {
	total := order.TotalCents()
	if total > PaymentLimitCents {
		slog.WarnContext(ctx, "payment declined", "order", order.ID, "totalCents", total)
		return false, nil
	}
	slog.InfoContext(ctx, "payment taken", "order", order.ID, "totalCents", total)
	return true, nil
}

// SendConfirmationEmail stands in for the email to the customer.
func SendConfirmationEmail(ctx context.Context, order Order) error {
	slog.InfoContext(ctx, "order confirmation sent", "order", order.ID, "to", order.Email)
	return nil
}
