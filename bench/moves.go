package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/bench/internal/workload"
	"github.com/godurable/durable/cluster"
)

// Scenarios that move partitions between the members of a -members run (3 unless
// given): failover kills a member with SIGKILL and measures how long its partitions
// take to serve again; handoff stops a member with SIGTERM and starts it again under
// load, and measures how long a partition stops taking writes while it moves.

func init() {
	scenarios["failover"] = failover
	scenarios["handoff"] = handoff
}

// idIn returns an instance id of partition p, unique by n.
func idIn(p, partitions int, prefix string, n *atomic.Int64) string {
	for {
		id := fmt.Sprintf("%s-%d", prefix, n.Add(1))
		if cluster.PartitionOf(id, partitions) == p {
			return id
		}
	}
}

// settled waits until every partition has a live primary and (with two members or
// more) a standby, every member is the primary of some, and the table has not changed
// for two seconds.
func settled(ctx context.Context, rt *durable.Runtime, members int) (*durable.ClusterInfo, error) {
	deadline := time.Now().Add(2 * time.Minute)
	var last []durable.PartitionInfo
	var since time.Time
	for {
		info, err := rt.Client().Cluster(ctx)
		if err == nil && len(info.Members) == members {
			live := map[string]bool{}
			for _, m := range info.Members {
				live[m.ID] = true
			}
			ok := true
			for _, o := range info.Owners {
				if !live[o.Primary] || members >= 2 && !live[o.Standby] {
					ok = false
					err = fmt.Errorf("partition %d: primary %q, standby %q", o.Partition, o.Primary, o.Standby)
				}
			}
			switch {
			case !ok || !balanced(info, 2):
				last = nil
			case !slices.Equal(info.Owners, last):
				last, since = info.Owners, time.Now()
			case time.Since(since) >= 2*time.Second:
				// Longer than members wait before they move partitions to one that
				// joined: the moves it is owed have begun by then.
				return info, nil
			}
		}
		if time.Now().After(deadline) {
			return info, fmt.Errorf("the cluster did not settle: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// memberOf returns the member id of child i (its peer address tells it).
func memberOf(info *durable.ClusterInfo, peer string) string {
	for _, m := range info.Members {
		if m.Peer == peer {
			return m.ID
		}
	}
	return ""
}

func registerHelloSequence(rt *durable.Runtime) error {
	if err := workload.RegisterHello(rt); err != nil {
		return err
	}
	if err := workload.RegisterHelloSequence5(rt); err != nil {
		return err
	}
	if err := workload.RegisterProbe(rt); err != nil {
		return err
	}
	return rt.Start()
}

// failover kills a member, waits for each of its partitions to take a write again
// through this member, and starts it again; -n times (at most 10).
func failover(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	c := p.cluster
	if c == nil || len(c.children) == 0 {
		return measure.Result{}, errors.New("failover needs -members 2 or more")
	}
	if err := registerHelloSequence(rt); err != nil {
		return measure.Result{}, err
	}
	reps := min(max(p.n, 1), 10)
	var took []time.Duration
	var n atomic.Int64
	for rep := range reps {
		info, err := settled(ctx, rt, p.members)
		if err != nil {
			return measure.Result{}, err
		}
		child := rep % len(c.children)
		victim := memberOf(info, c.children[child].settings.Peer)
		var parts []int
		for _, o := range info.Owners {
			if o.Primary == victim {
				parts = append(parts, o.Partition)
			}
		}
		if err := c.kill(child); err != nil {
			return measure.Result{}, err
		}
		killed := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var worst time.Duration
		for _, part := range parts {
			wg.Go(func() {
				for time.Since(killed) < time.Minute {
					actx, cancel := context.WithTimeout(ctx, time.Second)
					_, err := rt.Client().Start(actx, "HelloSequence5", nil, durable.WithInstanceID(idIn(part, info.Partitions, "failover", &n)))
					cancel()
					if err == nil {
						mu.Lock()
						worst = max(worst, time.Since(killed))
						mu.Unlock()
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		fmt.Printf("failover %d: %d partitions of member %d served again %v after SIGKILL\n", rep+1, len(parts), child+2,
			worst.Round(time.Millisecond))
		took = append(took, worst)
		if err := c.restart(child); err != nil {
			return measure.Result{}, err
		}
	}
	p50, _ := measure.Percentiles(took)
	return measure.Result{N: reps, Unit: "failovers", P50: p50, MaxUnavailableMs: ms(slices.Max(took))}, nil
}

// handoff runs -inflight hello-sequence orchestrations at a time, and a writer per
// partition starting an orchestration that ends at once every probeEvery, while each
// other member in turn stops (handing its partitions off) and starts again (taking
// its share back); it reports the longest a write waited meanwhile.
func handoff(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	c := p.cluster
	if c == nil || len(c.children) == 0 {
		return measure.Result{}, errors.New("handoff needs -members 2 or more")
	}
	if err := registerHelloSequence(rt); err != nil {
		return measure.Result{}, err
	}
	info, err := settled(ctx, rt, p.members)
	if err != nil {
		return measure.Result{}, err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var completed, failed, uncertain, loads atomic.Int64
	var firstErr atomic.Pointer[error]
	fail := func(err error) {
		failed.Add(1)
		firstErr.CompareAndSwap(nil, &err)
	}
	for range p.inflight {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				id := fmt.Sprint("load-", loads.Add(1))
				_, err := rt.Client().Start(cctx, "HelloSequence5", nil, durable.WithInstanceID(id))
				if errors.Is(err, context.DeadlineExceeded) && cctx.Err() == nil {
					uncertain.Add(1) // cut short by the request timeout: the instance tells
					if _, err = rt.Client().Status(cctx, id); errors.Is(err, durable.ErrInstanceNotFound) {
						_, err = rt.Client().Start(cctx, "HelloSequence5", nil, durable.WithInstanceID(id))
					}
				}
				if err == nil {
					_, err = rt.Client().WaitForCompletion(cctx, id)
				}
				cancel()
				if err != nil {
					st, serr := rt.Client().Status(ctx, id, durable.WithHistory())
					if serr == nil {
						var evs []string
						for _, e := range st.History {
							evs = append(evs, fmt.Sprint(e.Type))
						}
						err = fmt.Errorf("%w (status %s, history %v)", err, st.RuntimeStatus, evs)
					}
					fail(fmt.Errorf("orchestration %s: %w", id, err))
					continue
				}
				completed.Add(1)
			}
		})
	}
	var mu sync.Mutex
	var writes []time.Duration
	var n atomic.Int64
	for part := range info.Partitions {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				t := time.Now()
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				id := idIn(part, info.Partitions, "probe", &n)
				_, err := rt.Client().Start(cctx, "Probe", 1, durable.WithInstanceID(id))
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					// Cut short by the request timeout: it may or may not have taken
					// effect. The instance tells which; one that does not exist is
					// started again.
					uncertain.Add(1)
					if _, err = rt.Client().Status(ctx, id); errors.Is(err, durable.ErrInstanceNotFound) {
						_, err = rt.Client().Start(ctx, "Probe", 1, durable.WithInstanceID(id))
					}
				}
				if err != nil {
					fail(fmt.Errorf("start %s: %w", id, err))
					continue
				}
				took := time.Since(t)
				mu.Lock()
				writes = append(writes, took)
				mu.Unlock()
				time.Sleep(max(probeEvery-took, 0))
			}
		})
	}
	began := time.Now()
	time.Sleep(time.Second)
	moved := 0
	count := func(before, after []durable.PartitionInfo) {
		for i := range before {
			if before[i].Primary != after[i].Primary {
				moved++
			}
		}
	}
	for child := range c.children {
		if err := c.stopChild(child); err != nil {
			return measure.Result{}, err
		}
		left, err := settled(ctx, rt, p.members-1)
		if err != nil {
			return measure.Result{}, err
		}
		count(info.Owners, left.Owners)
		if err := c.restart(child); err != nil {
			return measure.Result{}, err
		}
		if info, err = settled(ctx, rt, p.members); err != nil {
			return measure.Result{}, err
		}
		count(left.Owners, info.Owners)
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(began)
	if f := failed.Load(); f > 0 {
		return measure.Result{}, fmt.Errorf("%d requests failed while partitions moved, the first: %v", f, *firstErr.Load())
	}
	worst := slices.Max(writes)
	p50, p99 := measure.Percentiles(writes)
	fmt.Printf("handoff: %d partitions moved, %d writes, longest %v (%d cut short by the request timeout), %d orchestrations completed meanwhile\n",
		moved, len(writes), worst.Round(time.Microsecond), uncertain.Load(), completed.Load())
	return measure.Result{N: int(completed.Load()), Seconds: elapsed.Seconds(), Throughput: float64(completed.Load()) / elapsed.Seconds(),
		Unit: "orchestrations", P50: p50, P99: p99, Moves: moved, MaxUnavailableMs: ms(worst)}, nil
}

// probeEvery paces each partition's writer: the probes measure the partitions'
// availability, and must not be the load that slows them.
const probeEvery = 20 * time.Millisecond

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
