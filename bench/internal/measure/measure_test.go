package measure

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestResultLineShape(t *testing.T) {
	b, err := json.Marshal(Result{Scenario: "s", N: 1, Seconds: 2, Throughput: 3, Unit: "u", P50: 4, P99: 5, PeakRSSMB: 6})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"scenario":"s","n":1,"seconds":2,"throughput_per_s":3,"unit":"u","p50_ms":4,"p99_ms":5,"peak_rss_mb":6}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestPercentiles(t *testing.T) {
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(100-i) * time.Millisecond
	}
	if p50, p99 := Percentiles(ds); p50 != 50 || p99 != 99 {
		t.Fatalf("p50, p99 = %v, %v; want 50, 99", p50, p99)
	}
	if p50, p99 := Percentiles(nil); p50 != 0 || p99 != 0 {
		t.Fatalf("empty: %v, %v", p50, p99)
	}
}

func TestLoopRunsEveryCallWithinInflight(t *testing.T) {
	var running, most atomic.Int64
	calls := make([]atomic.Int64, 50)
	lat, elapsed, err := Loop{N: 50, Inflight: 4}.Run(context.Background(), func(_ context.Context, i int) (time.Time, error) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Millisecond)
		calls[i].Add(1)
		running.Add(-1)
		return time.Now(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range calls {
		if calls[i].Load() != 1 || lat[i] <= 0 {
			t.Fatalf("call %d ran %d times, latency %v", i, calls[i].Load(), lat[i])
		}
	}
	if most.Load() > 4 || elapsed <= 0 {
		t.Fatalf("%d calls at once, elapsed %v", most.Load(), elapsed)
	}
}

func TestLoopStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	_, _, err := Loop{N: 1000, Inflight: 2}.Run(context.Background(), func(ctx context.Context, i int) (time.Time, error) {
		if i == 3 {
			return time.Time{}, boom
		}
		if i > 3 {
			<-ctx.Done() // the others are cancelled
			return time.Time{}, ctx.Err()
		}
		return time.Now(), nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}
