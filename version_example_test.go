package durable_test

import (
	"context"
	"fmt"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

// Two versions of one orchestrator side by side: instances started at version 1 run
// version 1's code to their end, while new instances start at version 2, the default.
func ExampleVersion() {
	ctx := context.Background()
	shipV1 := func(ctx *orchestrator.Context, order string) (string, error) {
		return "shipped " + order, nil
	}
	shipV2 := func(ctx *orchestrator.Context, order string) (string, error) {
		return "shipped " + order + " with tracking (code of version " + ctx.Version() + ")", nil
	}
	_ = rt.RegisterOrchestrator("Ship", shipV1, durable.Version("1"))
	_ = rt.RegisterOrchestrator("Ship", shipV2, durable.DefaultVersion("2"))

	c := rt.Client()
	v1, _ := c.Start(ctx, "Ship", "order-1", durable.WithVersion("1"))
	v2, _ := c.Start(ctx, "Ship", "order-2") // at the default version
	for _, id := range []string{v1, v2} {
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil {
			fmt.Println(err)
			return
		}
		var out string
		_ = st.DecodeOutput(&out)
		fmt.Printf("version %s: %s\n", st.Version, out)
	}
	_, err := c.Start(ctx, "Ship", "order-3", durable.WithVersion("3"))
	fmt.Println(err)
	// Output:
	// version 1: shipped order-1
	// version 2: shipped order-2 with tracking (code of version 2)
	// unknown orchestration: orchestrator "Ship" has no version "3" (registered: "1", "2")
}
