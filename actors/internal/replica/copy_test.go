//go:build !race

// See replica_test.go for why these tests run without the race detector.

package replica_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godurable/durable/internal/etcdtest"
)

// A second member joins while 32 writers append without pause: the partition is
// copied to it under load (and may be handed to it), and afterwards both copies hold
// every instance at the same version.
func TestCopyUnderLoadKeepsCopiesEqual(t *testing.T) {
	etcd := etcdtest.Start(t)
	a := join(t, etcd, "stress", "a")
	until(t, "a serves", func() bool { _, ok := a.m.Serving(0); return ok })
	members := []*member{a}
	var mu sync.Mutex
	primary := func() *member {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range members {
			if _, ok := m.m.Serving(0); ok {
				return m
			}
		}
		return nil
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var appends, retries atomic.Int64
	for w := range 32 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("s-%d-%d", w, i%20)
				for {
					p := primary()
					if p == nil {
						time.Sleep(time.Millisecond)
						continue
					}
					in, err := p.store.Get(context.Background(), id, false)
					v := uint64(0)
					if err == nil {
						v = in.Version
					}
					if err := appendSync(p.rep, id, v); err != nil {
						retries.Add(1)
						time.Sleep(time.Millisecond)
						continue
					}
					appends.Add(1)
					break
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	b := join(t, etcd, "stress", "b")
	mu.Lock()
	members = append(members, b)
	mu.Unlock()
	until(t, "settled", func() bool {
		rec := a.m.Record(0)
		want, ok := a.m.DesiredPrimary(0)
		return ok && rec.Primary == want && rec.Standby != ""
	})
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	p := primary()
	s := a
	if p == a {
		s = b
	}
	bad := 0
	for w := range 32 {
		for i := range 20 {
			id := fmt.Sprintf("s-%d-%d", w, i)
			x, e1 := p.store.Get(context.Background(), id, false)
			y, e2 := s.store.Get(context.Background(), id, false)
			if e1 != nil || e2 != nil || x.Version != y.Version {
				bad++
				if bad < 5 {
					t.Errorf("%s: primary %v %v, standby %v %v", id, x, e1, y, e2)
				}
			}
		}
	}
	if appends.Load() == 0 {
		t.Fatal("no append went through")
	}
	t.Logf("%d appends, %d retried after the partition moved", appends.Load(), retries.Load())
}
