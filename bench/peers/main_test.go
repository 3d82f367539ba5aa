package main

import (
	"context"
	"testing"
	"time"
)

// TestScenariosRunOnEveryRuntime runs each scenario small on each runtime in this
// process, so a change to a peer's wiring or to our API fails here rather than in the
// middle of a long comparison.
func TestScenariosRunOnEveryRuntime(t *testing.T) {
	for _, name := range []string{ours, durabletask, goworkflows} {
		for _, sc := range scenarioNames {
			t.Run(name+"/"+sc, func(t *testing.T) {
				p := params{scenario: sc, n: 4, inflight: 2, timeout: 2 * time.Minute, gwCache: 128}
				want := p.n
				switch sc {
				case "fan-out":
					p.n, want = 20, 20
				case "tree":
					p.n, want = 2, 2*defaultTree.instances()
				}
				ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
				defer cancel()
				res, err := runners[name](ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if res.N != want || res.Seconds <= 0 || res.Throughput <= 0 {
					t.Fatalf("result %+v: want n=%d and positive time and throughput", res, want)
				}
				if sc != "fan-out" && (res.P50 <= 0 || res.P99 < res.P50) {
					t.Fatalf("result %+v: want 0 < p50 <= p99", res)
				}
			})
		}
	}
}

func TestTreeShapeCountsGoWorkflowsBenchTree(t *testing.T) {
	// Root, 2 mids, 4 mids, 8 leaves; 16 activities.
	if got := defaultTree.instances(); got != 15 {
		t.Fatalf("instances = %d, want 15", got)
	}
	if got := defaultTree.leaves() * defaultTree.Activities; got != 16 {
		t.Fatalf("activities = %d, want 16", got)
	}
}

func TestMedianPicksMiddleThroughput(t *testing.T) {
	rs := []result{{Throughput: 30}, {Throughput: 10}, {Throughput: 20}, {Throughput: 40}}
	if got := median(rs).Throughput; got != 20 {
		t.Fatalf("median of 4 = %v, want the lower middle 20", got)
	}
	if got := median(rs[:3]).Throughput; got != 20 {
		t.Fatalf("median of 3 = %v, want 20", got)
	}
}
