package examples

import (
	"context"
	"fmt"

	"github.com/godurable/durable/orchestrator"
)

// Chaining is the slides' pattern #1, function chaining: F1..F4 run one after the
// other, each receiving the previous one's output. Its output, "F1 -> F2 -> F3 -> F4",
// records the order the chain ran in.
func Chaining(ctx *orchestrator.Context) (string, error) {
	x, err := orchestrator.CallActivity[string](ctx, "F1", nil).Await()
	if err != nil {
		return "", chainFailed(err)
	}
	y, err := orchestrator.CallActivity[string](ctx, "F2", x).Await()
	if err != nil {
		return "", chainFailed(err)
	}
	z, err := orchestrator.CallActivity[string](ctx, "F3", y).Await()
	if err != nil {
		return "", chainFailed(err)
	}
	out, err := orchestrator.CallActivity[string](ctx, "F4", z).Await()
	if err != nil {
		return "", chainFailed(err)
	}
	return out, nil
}

// chainFailed is where the slides' catch block would put compensation; here it only
// names the chain, keeping the failed step's details for errors.As.
func chainFailed(err error) error { return fmt.Errorf("chaining: %w", err) }

// F1 starts the chain.
func F1(context.Context) (string, error) { return "F1", nil }

// F2 continues the chain from F1's output.
func F2(_ context.Context, in string) (string, error) { return in + " -> F2", nil }

// F3 continues the chain from F2's output.
func F3(_ context.Context, in string) (string, error) { return in + " -> F3", nil }

// F4 ends the chain.
func F4(_ context.Context, in string) (string, error) { return in + " -> F4", nil }
