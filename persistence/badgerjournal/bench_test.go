package badgerjournal_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// turn returns the three events of a typical orchestration turn (an activity result,
// the next OrchestratorStarted, the next TaskScheduled), about 100 bytes each.
func turn(n int) []history.Event {
	now := time.Now()
	return []history.Event{
		{Type: history.EventTaskCompleted, Time: now, TaskID: int64(n), Result: []byte(`{"status":"ok","value":42,"note":"result of the activity"}`)},
		{Type: history.EventOrchestratorStarted, Time: now},
		{Type: history.EventTaskScheduled, Time: now, ID: int64(n + 1), Name: "SayHello", Input: []byte(`{"name":"world","attempt":1,"x":"padding"}`)},
	}
}

func benchJournal(b *testing.B) *badgerjournal.Journal {
	b.Logf("GOMAXPROCS=%d GOOS=%s GOARCH=%s", runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	return open(b, badgerjournal.Config{Dir: b.TempDir()})
}

// BenchmarkAppendConcurrent: many instances, each appending one turn at a time and
// waiting for it, as instance actors do. Throughput comes from group commit.
func BenchmarkAppendConcurrent(b *testing.B) {
	for _, instances := range []int{1, 16, 128, 1024} {
		b.Run(fmt.Sprintf("instances=%d", instances), func(b *testing.B) {
			j := benchJournal(b)
			ctx := b.Context()
			var next atomic.Int64
			var wg sync.WaitGroup
			before := j.Commits()
			b.ResetTimer()
			start := time.Now()
			for w := range instances {
				wg.Go(func() {
					id := fmt.Sprintf("bench-%05d", w)
					for v := uint64(0); next.Add(1) <= int64(b.N); v++ {
						batch := &persistence.Batch{InstanceID: id, ExpectedVersion: v, Events: turn(int(v))}
						if v == 0 {
							batch.Instance = &persistence.Instance{Name: "Bench", Status: history.StatusRunning, CreatedAt: time.Now()}
						}
						if err := persistence.AppendSync(ctx, j, batch); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
			b.ReportMetric(float64(b.N)/float64(j.Commits()-before), "appends/txn")
		})
	}
}

// BenchmarkAppendSequential: one instance, one append at a time: the latency of an
// append under no load, which is mostly one fsync.
func BenchmarkAppendSequential(b *testing.B) {
	j := benchJournal(b)
	ctx := b.Context()
	mustAppend := func(batch *persistence.Batch) {
		if err := persistence.AppendSync(ctx, j, batch); err != nil {
			b.Fatal(err)
		}
	}
	mustAppend(&persistence.Batch{InstanceID: "seq", Instance: &persistence.Instance{Name: "Bench"}})
	b.ResetTimer()
	for v := range b.N {
		mustAppend(&persistence.Batch{InstanceID: "seq", ExpectedVersion: uint64(v + 1), Events: turn(v)})
	}
}

// BenchmarkLoad: the cold activation of an instance whose history was written in
// turns (one stored value per turn).
func BenchmarkLoad(b *testing.B) {
	for _, turns := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("events=%d", 3*turns), func(b *testing.B) {
			j := benchJournal(b)
			ctx := b.Context()
			for v := range turns {
				batch := &persistence.Batch{InstanceID: "load", ExpectedVersion: uint64(v), Events: turn(v)}
				if v == 0 {
					batch.Instance = &persistence.Instance{Name: "Bench"}
					batch.SetInput = []byte(`{"name":"world"}`)
				}
				if err := persistence.AppendSync(ctx, j, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, _, err := j.Load(ctx, "load"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
