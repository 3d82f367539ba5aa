package entities

import (
	"fmt"
	"runtime"
	"testing"
)

const benchBatch = 1000

func addOps(n int) []Operation {
	ops := make([]Operation, n)
	for i := range ops {
		ops[i] = Operation{Name: "Add", Input: []byte("1")}
	}
	return ops
}

// benchApply runs batches of benchBatch ops and reports the cost of one operation.
func benchApply(b *testing.B, fn Func, state []byte, ops []Operation) {
	b.Logf("batch=%d ops, GOMAXPROCS=%d, %s/%s, %s", len(ops), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	b.ReportAllocs()
	id := ID{"Counter", "bench"}
	for b.Loop() {
		s, results := Apply(id, fn, state, ops, batchNow)
		if s == nil || results[len(results)-1].Failure != nil {
			b.Fatal("batch failed")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ops)), "ns/operation")
}

// BenchmarkApplyTypedCounter is a hot typed entity: a batch of 1000 "Add" operations
// on a flat state (one decode, one encode per batch).
func BenchmarkApplyTypedCounter(b *testing.B) {
	benchApply(b, Typed[Counter](), []byte(`{"Value":1}`), addOps(benchBatch))
}

// BenchmarkApplyTypedLog is the same batch on a state with references, which is
// encoded after every operation (the state stays small: Append is not used).
func BenchmarkApplyTypedLog(b *testing.B) {
	benchApply(b, Typed[logCounter](), []byte(`{"Value":1,"Tags":["a"]}`), addOps(benchBatch))
}

// BenchmarkApplyFunctionCounter is the same batch on a function entity, which decodes
// and encodes its state in every operation.
func BenchmarkApplyFunctionCounter(b *testing.B) {
	ops := addOps(benchBatch)
	for i := range ops {
		ops[i].Name = "add"
	}
	benchApply(b, counterFn, []byte("1"), ops)
}

// BenchmarkApplyTypedBatchSizes shows the per-batch overhead.
func BenchmarkApplyTypedBatchSizes(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			benchApply(b, Typed[Counter](), []byte(`{"Value":1}`), addOps(n))
		})
	}
}

// logCounter is a counter whose state has a slice, so it is not flat.
type logCounter struct {
	Value int
	Tags  []string
}

func (c *logCounter) Add(n int) { c.Value += n }
