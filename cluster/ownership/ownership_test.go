package ownership

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godurable/durable/internal/etcdtest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The first member fixes the cluster's settings; later ones must agree with them.
func TestJoinRefusesOtherSettings(t *testing.T) {
	etcd := etcdtest.Start(t)
	s := NewStore(etcd.Client(t), "orders")
	ctx := ctxT(t)
	created, err := s.Join(ctx, Meta{ID: "c1", Partitions: 32, Format: 1})
	if err != nil || created.ID != "c1" {
		t.Fatalf("create: %+v %v", created, err)
	}
	if got, err := s.Join(ctx, Meta{ID: "other", Partitions: 32, Format: 1}); err != nil || got.ID != "c1" {
		t.Fatalf("a member joining learns the cluster's id: %+v %v", got, err)
	}
	if _, err := s.Join(ctx, Meta{Partitions: 16, Format: 1}); err == nil || !strings.Contains(err.Error(), "32 partitions") {
		t.Fatalf("another partition count: %v", err)
	}
	if _, err := s.Join(ctx, Meta{Partitions: 32, Format: 2}); err == nil || !strings.Contains(err.Error(), "format 1") {
		t.Fatalf("another format: %v", err)
	}
	// Another cluster name is another cluster.
	if got, err := NewStore(etcd.Client(t), "billing").Join(ctx, Meta{ID: "c2", Partitions: 8, Format: 1}); err != nil || got.ID != "c2" {
		t.Fatalf("second cluster: %+v %v", got, err)
	}
}

// Of two members that read the same record and both try to change it, exactly one
// succeeds; a new primary needs a higher epoch.
func TestSwapIsCompareAndSwap(t *testing.T) {
	etcd := etcdtest.Start(t)
	s := NewStore(etcd.Client(t), "orders")
	ctx := ctxT(t)
	recs, _, err := s.Partitions(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if recs[2].Revision != 0 || recs[2].Primary != "" {
		t.Fatalf("an unowned partition reads as %+v", recs[2])
	}
	var wg sync.WaitGroup
	results := make([]error, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = s.Swap(ctx, 2, recs[2], Record{Primary: string(rune('a' + i)), Epoch: 1})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrConflict):
			t.Fatal(err)
		}
	}
	if won != 1 {
		t.Fatalf("%d members won partition 2", won)
	}
	recs, _, err = s.Partitions(ctx, 4)
	if err != nil || recs[2].Epoch != 1 || recs[2].Revision == 0 {
		t.Fatalf("after the race: %+v %v", recs[2], err)
	}
	if _, err := s.Swap(ctx, 2, recs[2], Record{Primary: "z", Epoch: 1}); err == nil || errors.Is(err, ErrConflict) {
		t.Fatalf("a new primary at the same epoch: %v", err)
	}
	if _, err := s.Swap(ctx, 2, recs[2], Record{Primary: recs[2].Primary, Standby: "z", Epoch: 1}); err != nil {
		t.Fatalf("a new standby under the same primary: %v", err)
	}
}

// A member that cannot renew its lease stops counting as an owner within two thirds
// of the TTL, learns it lost the lease once etcd dropped it, and leaves the member list.
func TestLeaseGateClosesWhenRenewalsStop(t *testing.T) {
	etcd := etcdtest.Start(t)
	s := NewStore(etcd.Client(t), "orders")
	ctx := ctxT(t)
	l, err := s.Register(ctx, Member{ID: "m1", Peer: "127.0.0.1:1", Format: 1}, MinTTL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Register(ctx, Member{ID: "m1", Peer: "127.0.0.1:2", Format: 1}, MinTTL); err == nil {
		t.Fatal("a second member with the same id was registered")
	}
	if ms, _, err := s.Members(ctx); err != nil || len(ms) != 1 || ms[0].Peer != "127.0.0.1:1" {
		t.Fatalf("members: %+v %v", ms, err)
	}
	if !l.Valid() {
		t.Fatal("a fresh lease is not valid")
	}
	// Renewals keep it valid well past its TTL.
	deadline := time.Now().Add(2 * l.TTL())
	for time.Now().Before(deadline) {
		if !l.Valid() {
			t.Fatal("a renewed lease lapsed")
		}
		time.Sleep(50 * time.Millisecond)
	}

	etcd.Pause()
	for l.Valid() {
		time.Sleep(5 * time.Millisecond)
	}
	if gap := time.Since(l.Renewed()); gap < l.TTL()*2/3 {
		t.Fatalf("gate closed %v after the last renewal, before two thirds of the TTL", gap)
	}
	// etcd expires the lease on its own clock once it runs again.
	time.Sleep(l.TTL()) // etcd is stopped: there is nothing to wait on but time
	etcd.Resume()
	select {
	case <-l.Lost():
	case <-ctx.Done():
		t.Fatal("the member never learned it lost its lease")
	}
	if l.Valid() {
		t.Fatal("a lost lease counts as valid")
	}
	for {
		ms, _, err := s.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// Close takes the member out of the list at once.
func TestLeaseCloseLeaves(t *testing.T) {
	etcd := etcdtest.Start(t)
	s := NewStore(etcd.Client(t), "orders")
	ctx := ctxT(t)
	l, err := s.Register(ctx, Member{ID: "m1", Format: 1}, MinTTL)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if ms, _, err := s.Members(ctx); err != nil || len(ms) != 0 {
		t.Fatalf("after Close: %+v %v", ms, err)
	}
	if _, err := s.Register(ctx, Member{ID: "m1", Format: 1}, MinTTL); err != nil {
		t.Fatalf("register again after leaving: %v", err)
	}
}

// A view follows changes made by others: partition swaps, members joining and leaving.
func TestViewFollowsChanges(t *testing.T) {
	etcd := etcdtest.Start(t)
	ctx := ctxT(t)
	other := NewStore(etcd.Client(t), "orders")
	v, err := NewStore(etcd.Client(t), "orders").Watch(ctx, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if r := v.Partition(3); r.Primary != "" || len(v.Members()) != 0 {
		t.Fatalf("empty cluster seen as %+v, %v", r, v.Members())
	}
	changed := v.Changed()
	rec, err := other.Swap(ctx, 3, Record{}, Record{Primary: "m1", Standby: "m2", Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	<-changed
	if err := v.WaitRevision(ctx, rec.Revision); err != nil {
		t.Fatal(err)
	}
	if got := v.Partition(3); got.Primary != "m1" || got.Standby != "m2" || got.Epoch != 1 || got.Revision != rec.Revision {
		t.Fatalf("view has %+v, want %+v", got, rec)
	}
	// A record read from the view is good for the next swap.
	if _, err := other.Swap(ctx, 3, v.Partition(3), Record{Primary: "m2", Epoch: 2}); err != nil {
		t.Fatalf("swap from the view's record: %v", err)
	}
	l, err := other.Register(ctx, Member{ID: "m9", Peer: "10.0.0.9:1", Format: 1}, MinTTL)
	if err != nil {
		t.Fatal(err)
	}
	for {
		ch := v.Changed()
		if m, ok := v.Member("m9"); ok && m.Peer == "10.0.0.9:1" && v.Partition(3).Primary == "m2" {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the view never saw the member join")
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		ch := v.Changed()
		if _, ok := v.Member("m9"); !ok {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the view never saw the member leave")
		}
	}
}
