package durabletest_test

import (
	"context"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/durabletest"
	"github.com/godurable/durable/orchestrator"
)

// closer is what BenchmarkClose opens: a runtime that ran one orchestration.
type closer interface {
	RegisterOrchestrator(name string, fn any, opts ...durable.RegisterOption) error
	Client() *durable.Client
	Close() error
}

// BenchmarkClose measures Close right after an orchestration completed: what every
// test that opens a runtime pays once. Close used to wait out a second that protoactor
// sleeps after starting a member.
func BenchmarkClose(b *testing.B) {
	for _, c := range []struct {
		name string
		open func() (closer, error)
	}{
		{"durable.InMemory", func() (closer, error) { return durable.Open(durable.Config{InMemory: true}) }},
		{"durabletest", func() (closer, error) { return durabletest.Open() }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				rt, err := c.open()
				if err == nil {
					err = runOne(rt)
				}
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := rt.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func runOne(rt closer) error {
	ctx := context.Background()
	if err := rt.RegisterOrchestrator("Done", func(*orchestrator.Context) error { return nil }); err != nil {
		return err
	}
	id, err := rt.Client().Start(ctx, "Done", nil)
	if err == nil {
		_, err = rt.Client().WaitForCompletion(ctx, id)
	}
	return err
}
