// protoactor's remoting sets grpc's global logger as it starts, racing with the grpc
// clients (etcd's) already running in the process; two members in one process trip the
// race detector on code that is not ours. So this test runs without it (see Makefile).

//go:build !race

package durable_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/orchestrator"
)

// Activities that keep a member's only worker busy for a while go to the other member
// rather than queue: each waits there less than it would here.
func TestClusterSpreadsSlowActivities(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, b := twoMembers(ctx, t, "spread", 1, func(rt *durable.Runtime) error {
		return errors.Join(
			rt.RegisterActivity("Slow", func(ctx context.Context, i int) (int, error) {
				time.Sleep(20 * time.Millisecond)
				return i, nil
			}),
			rt.RegisterOrchestrator("FanOut", func(ctx *orchestrator.Context, n int) (int, error) {
				tasks := make([]*orchestrator.Task[int], n)
				for i := range tasks {
					tasks[i] = orchestrator.CallActivity[int](ctx, "Slow", i)
				}
				sum := 0
				for _, task := range tasks {
					v, err := task.Await()
					if err != nil {
						return 0, err
					}
					sum += v
				}
				return sum, nil
			}))
	})
	// A member that has never run Slow cannot tell that its queue is long: let each
	// learn from an instance of its own partitions, then give them the rest at once.
	for _, id := range instanceOnEachMember(ctx, t, a, "warm-") {
		if _, err := a.Client().Start(ctx, "FanOut", 1, durable.WithInstanceID(id)); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Client().WaitForCompletion(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	const instances, fanOut = 4, 10
	for i := range instances {
		if _, err := a.Client().Start(ctx, "FanOut", fanOut, durable.WithInstanceID(fmt.Sprint("spread-", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range instances {
		st, err := a.Client().WaitForCompletion(ctx, fmt.Sprint("spread-", i))
		if err != nil {
			t.Fatal(err)
		}
		if st.RuntimeStatus != durable.StatusCompleted || string(st.Output) != "45" {
			t.Fatalf("spread-%d ended %s with %s", i, st.RuntimeStatus, st.Output)
		}
	}
	var sent, ran int64
	for _, rt := range []*durable.Runtime{a, b} {
		info, err := rt.Client().Cluster(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sent, ran = sent+info.ActivitiesSent, ran+info.ActivitiesRun
	}
	if sent == 0 || ran != sent {
		t.Fatalf("%d activities sent to the other member, %d run there; want some, all run", sent, ran)
	}
	t.Logf("%d of %d activities ran on the other member", ran, instances*fanOut)
}

// instanceOnEachMember returns, for each member of rt's cluster, an instance id (with
// prefix) of a partition that member owns.
func instanceOnEachMember(ctx context.Context, t *testing.T, rt *durable.Runtime, prefix string) []string {
	t.Helper()
	info, err := rt.Client().Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owner := map[int]string{}
	for _, o := range info.Owners {
		owner[o.Partition] = o.Primary
	}
	var ids []string
	for _, m := range info.Members {
		for i := 0; ; i++ {
			if i == 10_000 {
				t.Fatalf("member %s owns no partition: %+v", m.ID, info.Owners)
			}
			id := fmt.Sprint(prefix, i)
			if owner[cluster.PartitionOf(id, info.Partitions)] == m.ID {
				ids = append(ids, id)
				break
			}
		}
	}
	return ids
}
