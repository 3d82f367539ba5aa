// protoactor's remoting sets grpc's global logger as it starts, racing with the grpc
// clients (etcd's) already running in the process; two members in one process trip the
// race detector on code that is not ours. So this test runs without it (see Makefile).

//go:build !race

package replica_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/godurable/durable/actors/internal/replica"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/etcdtest"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
)

type member struct {
	m     *cluster.Member
	rep   *replica.Replicator
	store *badgerjournal.Journal
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// join starts a member of a one-partition cluster whose journal is replicated.
func join(t *testing.T, etcd *etcdtest.Server, name, id string) *member {
	t.Helper()
	store, err := badgerjournal.Open(badgerjournal.Config{Dir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mem := &member{store: store, rep: replica.New(store, quiet)}
	g := cluster.Group{Etcd: []string{etcd.Endpoint}, MemberID: id, Partitions: 1, TTL: 2 * time.Second,
		Settle: 100 * time.Millisecond, Log: quiet, Prepare: mem.rep.Start}
	m, err := cluster.Join(context.Background(), cluster.Config{Name: name, RequestTimeout: 2 * time.Second}, g)
	if err != nil {
		t.Fatal(err)
	}
	mem.m = m
	t.Cleanup(func() {
		m.Stop(context.Background())
		mem.rep.Stop()
		_ = store.Close()
	})
	return mem
}

func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func appendSync(j persistence.Journal, id string, version uint64) error {
	return persistence.AppendSync(context.Background(), j, &persistence.Batch{InstanceID: id, ExpectedVersion: version,
		Instance: &persistence.Instance{Name: "n", Status: history.StatusRunning},
		Events:   []history.Event{{Type: history.EventTaskScheduled, ID: int64(version)}}})
}

func version(t *testing.T, j persistence.Journal, id string) uint64 {
	t.Helper()
	in, err := j.Get(context.Background(), id, false)
	if errors.Is(err, persistence.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return in.Version
}

// A second member joins a partition that already holds instances: one of the two
// gets a copy of each, then every append as it commits (the partition may first move
// to the member that joined, by handoff). When the primary's lease is revoked, the standby
// takes the partition over, and what the old primary still sends (a zombie whose
// lease gate is disabled: its replicator is called directly) is refused, so none of
// it is acknowledged or lands in the partition's journal.
func TestStandbyCopiesAndFencesTheOldPrimary(t *testing.T) {
	etcd := etcdtest.Start(t)
	a := join(t, etcd, "fence", "a")
	until(t, "a serves the partition", func() bool { _, ok := a.m.Serving(0); return ok })
	const n = 50
	for i := range n {
		for v := range uint64(3) {
			if err := appendSync(a.rep, fmt.Sprint("i", i), v); err != nil {
				t.Fatal(err)
			}
		}
	}

	b := join(t, etcd, "fence", "b")
	byID := map[string]*member{"a": a, "b": b}
	// The partition goes to the member rendezvous hashing picks, the other keeps its copy.
	var primary, standby *member
	until(t, "the partition settles on its desired primary with a standby", func() bool {
		rec := a.m.Record(0)
		want, ok := a.m.DesiredPrimary(0)
		if !ok || rec.Primary != want || rec.Standby == "" || b.m.Record(0) != rec {
			return false
		}
		if _, serving := byID[rec.Primary].m.Serving(0); !serving {
			return false
		}
		primary, standby = byID[rec.Primary], byID[rec.Standby]
		return true
	})
	for i := range n {
		if got := version(t, standby.store, fmt.Sprint("i", i)); got != 3 {
			t.Fatalf("the standby's copy of i%d is at version %d, want 3", i, got)
		}
	}
	// Appends in sync: acknowledged once both have them.
	if err := appendSync(primary.rep, "i0", 3); err != nil {
		t.Fatal(err)
	}
	if got := version(t, standby.store, "i0"); got != 4 {
		t.Fatalf("the standby has i0 at version %d after an acknowledged append, want 4", got)
	}
	if s := primary.rep.Stats(); s.Replicated.Load() == 0 {
		t.Fatalf("stats: replicated %d", s.Replicated.Load())
	}

	// The primary's lease goes; the standby takes over under a new epoch.
	epoch := primary.m.Record(0).Epoch
	revokeMember(t, etcd, "fence", primary.m.Self())
	until(t, "the standby serves the partition", func() bool { _, ok := standby.m.Serving(0); return ok })
	if got := standby.m.Record(0).Epoch; got != epoch+1 {
		t.Fatalf("epoch after the takeover: %d, want %d", got, epoch+1)
	}
	if _, err := standby.m.Admit(0, primary.m.Self(), epoch); !errors.Is(err, cluster.ErrStale) {
		t.Fatalf("the new primary admits a copy of the old epoch: %v", err)
	}

	// The zombie appends below its gate: refused by the fence, never acknowledged.
	err := appendSync(primary.rep, "i1", 3)
	if !errors.Is(err, persistence.ErrFenced) {
		t.Fatalf("a zombie's append: %v, want ErrFenced", err)
	}
	if got := version(t, standby.store, "i1"); got != 3 {
		t.Fatalf("the zombie's append landed at the new primary: i1 at version %d", got)
	}
	// The new primary goes on from what was acknowledged.
	if err := appendSync(standby.rep, "i1", 3); err != nil {
		t.Fatalf("the new primary appends: %v", err)
	}
}

// revokeMember ends a member's ownership lease in etcd, as its expiry would.
func revokeMember(t *testing.T, etcd *etcdtest.Server, cluster, id string) {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{etcd.Endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	res, err := c.Get(ctx, path.Join("/durable", cluster, "members", id))
	if err != nil || len(res.Kvs) != 1 {
		t.Fatalf("member %s in etcd: %v %v", id, res, err)
	}
	if _, err := c.Revoke(ctx, clientv3.LeaseID(res.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
}
