// Two members in one process: without the race detector, as cluster_spread_test.go
// explains.

//go:build !race

package durable_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/internal/etcdtest"
	"github.com/godurable/durable/orchestrator"
)

// A listing of a cluster merges the pages of every member: newest first as in id
// order, page after page through the continuation token, whichever member is asked.
func TestClusterListsNewestFirst(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, b := twoMembers(ctx, t, "list", 0, func(rt *durable.Runtime) error {
		return rt.RegisterOrchestrator("Quick", func(*orchestrator.Context) error { return nil })
	})

	var started []string // oldest first
	for i := range 12 {
		id := fmt.Sprintf("list-%02d", (i*7)%12) // not created in id order
		if _, err := a.Client().Start(ctx, "Quick", nil, durable.WithInstanceID(id)); err != nil {
			t.Fatal(err)
		}
		started = append(started, id)
	}
	newest := slices.Clone(started)
	slices.Reverse(newest)
	byID := slices.Sorted(slices.Values(started))
	for _, rt := range []*durable.Runtime{a, b} {
		for _, size := range []int{1, 5, 12} {
			if got := listAll(ctx, t, rt, durable.Query{IDPrefix: "list-", PageSize: size, NewestFirst: true}); !slices.Equal(got, newest) {
				t.Fatalf("newest first, pages of %d: %v\nwant %v", size, got, newest)
			}
			if got := listAll(ctx, t, rt, durable.Query{IDPrefix: "list-", PageSize: size}); !slices.Equal(got, byID) {
				t.Fatalf("by id, pages of %d: %v\nwant %v", size, got, byID)
			}
		}
	}
}

// twoMembers starts a cluster of two members, each set up by register before it
// starts, with workers activity workers (0: the default), and waits until every
// partition is served. It skips in short mode.
func twoMembers(ctx context.Context, t *testing.T, name string, workers int, register func(*durable.Runtime) error) (a, b *durable.Runtime) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts etcd and two members")
	}
	etcd := etcdtest.Start(t)
	open := func() *durable.Runtime {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		peer := l.Addr().String()
		l.Close()
		rt, err := durable.Open(durable.Config{Dir: t.TempDir(), ActivityWorkers: workers,
			Cluster: &durable.ClusterConfig{Name: name, Etcd: []string{etcd.Endpoint}, Peer: peer, Replicas: 1, TTL: 2 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rt.Close() })
		if err := register(rt); err != nil {
			t.Fatal(err)
		}
		if err := rt.Start(); err != nil {
			t.Fatal(err)
		}
		return rt
	}
	a, b = open(), open()
	waitServed(ctx, t, a, 2)
	return a, b
}

// waitServed waits until the cluster rt belongs to has n members and every partition
// an owner.
func waitServed(ctx context.Context, t *testing.T, rt *durable.Runtime, n int) {
	t.Helper()
	for {
		info, err := rt.Client().Cluster(ctx)
		if err != nil {
			t.Fatal(err)
		}
		served := len(info.Members) == n
		for _, o := range info.Owners {
			served = served && o.Primary != ""
		}
		if served {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the partitions were never all served: %+v", info.Owners)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func listAll(ctx context.Context, t *testing.T, rt *durable.Runtime, q durable.Query) []string {
	t.Helper()
	var ids []string
	for {
		page, err := rt.Client().List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if page.Unserved > 0 {
			t.Fatalf("%d partitions unserved", page.Unserved)
		}
		for _, st := range page.Instances {
			ids = append(ids, st.InstanceID)
		}
		if page.Continuation == "" {
			return ids
		}
		q.Continuation = page.Continuation
	}
}
