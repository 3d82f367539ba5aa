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

// BenchmarkEntityCheckpoint: 1024 entities, each checkpointing its row and its state
// (the output, a small record) one turn at a time, as the runtime's entities do.
func BenchmarkEntityCheckpoint(b *testing.B) {
	state := []byte(`{"value":12345,"lock":"","held":null,"senders":{"@orch/1":{"seq":7}}}`)
	onWorkers(b, "appends/s", "keys/append", func(w, i int) []*persistence.Batch {
		return []*persistence.Batch{{InstanceID: fmt.Sprintf("@counter@%05d", w), ExpectedVersion: uint64(i), SetOutput: state,
			Instance: &persistence.Instance{Name: "counter", Status: history.StatusRunning, UpdatedAt: time.Now()}}}
	})
}

// BenchmarkShortOrchestration: 1024 workers, each running orchestrations of five
// activities one after the other, as the journal sees them: a start that sets the
// recovery mark, four turns, and a completion that clears it. One op is one
// orchestration.
func BenchmarkShortOrchestration(b *testing.B) {
	onWorkers(b, "orchestrations/s", "keys/orchestration", func(w, i int) []*persistence.Batch {
		return orchestration(fmt.Sprintf("orch-%04d-%08d", w, i))
	})
}

// onWorkers runs b.N ops on 1024 concurrent workers, as many instances appending at
// once; op returns the appends of the i-th op of worker w. It reports ops per second
// and keys per op.
func onWorkers(b *testing.B, rate, keysPer string, op func(w, i int) []*persistence.Batch) {
	j := benchJournal(b)
	ctx := b.Context()
	var taken atomic.Int64
	more := func() bool { return taken.Add(1) <= int64(b.N) }
	var wg sync.WaitGroup
	before := j.Keys()
	b.ResetTimer()
	start := time.Now()
	for w := range 1024 {
		wg.Go(func() {
			for i := 0; more(); i++ {
				for _, batch := range op(w, i) {
					if err := persistence.AppendSync(ctx, j, batch); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), rate)
	b.ReportMetric(float64(j.Keys()-before)/float64(b.N), keysPer)
}

// orchestration returns the six appends of an orchestration of five activities.
func orchestration(id string) []*persistence.Batch {
	now := time.Now()
	row := func(s history.RuntimeStatus) *persistence.Instance {
		return &persistence.Instance{Name: "HelloSequence5", ExecutionID: "4f9c2e7a1b3d4c5e", Status: s, CreatedAt: now, UpdatedAt: time.Now()}
	}
	mark := func(b bool) *bool { return &b }
	batches := []*persistence.Batch{{InstanceID: id, Instance: row(history.StatusRunning), SetInput: []byte{}, SetOutput: []byte{},
		Recover: mark(true), Events: []history.Event{
			{Type: history.EventExecutionStarted, Time: now, Name: "HelloSequence5", InstanceID: id, ExecutionID: "4f9c2e7a1b3d4c5e"},
			{Type: history.EventOrchestratorStarted, Time: now},
			{Type: history.EventTaskScheduled, Time: now, ID: 0, Name: "Hello", Input: []byte(`"Tokyo"`)},
		}}}
	for i := 1; i <= 5; i++ {
		events := []history.Event{
			{Type: history.EventTaskCompleted, Time: now, TaskID: int64(i - 1), Result: []byte(`"Hello, city!"`)},
			{Type: history.EventOrchestratorStarted, Time: now},
		}
		b := &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(i), Instance: row(history.StatusRunning)}
		if i < 5 {
			events = append(events, history.Event{Type: history.EventTaskScheduled, Time: now, ID: int64(i), Name: "Hello", Input: []byte(`"Seattle"`)})
		} else {
			events = append(events, history.Event{Type: history.EventExecutionCompleted, Time: now, Result: []byte(`["Hello, Tokyo!"]`)})
			b.Instance, b.SetOutput, b.Recover = row(history.StatusCompleted), []byte(`["Hello, Tokyo!","Hello, Seattle!"]`), mark(false)
		}
		b.Events = events
		batches = append(batches, b)
	}
	return batches
}
