package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/bench/internal/workload"
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
					p.n, want = 2, 2*workload.DefaultTree.Instances()
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

func TestMedianPicksMiddleThroughput(t *testing.T) {
	rs := []measure.Result{{Throughput: 30}, {Throughput: 10}, {Throughput: 20}, {Throughput: 40}}
	if got := median(rs).Throughput; got != 20 {
		t.Fatalf("median of 4 = %v, want the lower middle 20", got)
	}
	if got := median(rs[:3]).Throughput; got != 20 {
		t.Fatalf("median of 3 = %v, want 20", got)
	}
}

// TestPeerLineShape pins the JSON line: bench/'s result line, then peer, then a ratio
// that only peers' lines carry.
func TestPeerLineShape(t *testing.T) {
	r := 2.5
	res := measure.Result{Scenario: "s", N: 1, Seconds: 2, Throughput: 3, Unit: "u", P50: 4, P99: 5, PeakRSSMB: 6}
	for _, tc := range []struct {
		line peerLine
		want string
	}{
		{peerLine{Result: res, Peer: ours},
			`{"scenario":"s","n":1,"seconds":2,"throughput_per_s":3,"unit":"u","p50_ms":4,"p99_ms":5,"peak_rss_mb":6,"peer":"durable"}`},
		{peerLine{Result: res, Peer: durabletask, Ratio: &r},
			`{"scenario":"s","n":1,"seconds":2,"throughput_per_s":3,"unit":"u","p50_ms":4,"p99_ms":5,"peak_rss_mb":6,"peer":"durabletask-go","ratio":2.5}`},
	} {
		b, err := json.Marshal(tc.line)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Fatalf("got  %s\nwant %s", b, tc.want)
		}
	}
}
