package ownership

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// View is a member's live copy of the ownership table and the member list, kept up to
// date by an etcd watch. Reads never touch etcd.
type View struct {
	store *Store
	n     int
	keep  func(old, next Record) bool // see WatchKeeping

	mu      sync.RWMutex
	parts   []Record
	members map[string]Member
	rev     int64
	changed chan struct{} // closed and replaced on every change
	err     error

	cancel context.CancelFunc
	done   chan struct{}
}

// Watch loads the table of n partitions and the member list and follows them until
// Close.
func (s *Store) Watch(ctx context.Context, n int) (*View, error) {
	return s.WatchKeeping(ctx, n, nil)
}

// WatchKeeping is Watch with a filter on changes of partition records: keep decides
// whether a change replaces the record the view holds. Only tests playing a zombie
// member, which never learns it lost a partition, pass one.
func (s *Store) WatchKeeping(ctx context.Context, n int, keep func(old, next Record) bool) (*View, error) {
	v := &View{store: s, n: n, keep: keep, changed: make(chan struct{}), done: make(chan struct{})}
	if err := v.reload(ctx); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	go v.follow(wctx)
	return v, nil
}

func (v *View) reload(ctx context.Context) error {
	parts, rev, err := v.store.Partitions(ctx, v.n)
	if err != nil {
		return err
	}
	list, _, err := v.store.Members(ctx)
	if err != nil {
		return err
	}
	members := make(map[string]Member, len(list))
	for _, m := range list {
		members[m.ID] = m
	}
	v.mu.Lock()
	v.parts, v.members, v.rev = parts, members, rev
	v.notifyLocked()
	v.mu.Unlock()
	return nil
}

// follow applies watch events; after a watch failure (etcd compacted the revision,
// or it was unreachable) it reads everything again.
func (v *View) follow(ctx context.Context) {
	defer close(v.done)
	for ctx.Err() == nil {
		v.mu.RLock()
		from := v.rev + 1
		v.mu.RUnlock()
		wch := v.store.c.Watch(clientv3.WithRequireLeader(ctx), v.store.prefix, clientv3.WithPrefix(), clientv3.WithRev(from))
		for resp := range wch {
			if resp.Err() != nil {
				break
			}
			v.apply(resp.Events, resp.Header.Revision)
		}
		if ctx.Err() != nil {
			return
		}
		for ctx.Err() == nil {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := v.reload(rctx)
			cancel()
			if err == nil {
				break
			}
			v.setErr(err)
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func (v *View) apply(events []*clientv3.Event, rev int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	parts := append([]Record(nil), v.parts...) // readers keep the slice they got
	members := v.members
	copied := false
	for _, ev := range events {
		key := string(ev.Kv.Key)
		switch {
		case strings.HasPrefix(key, v.store.partitionsPrefix()):
			p, err := partitionOfKey(v.store.partitionsPrefix(), key)
			if err != nil || p < 0 || p >= v.n {
				continue
			}
			var r Record
			if ev.Type == clientv3.EventTypePut {
				if json.Unmarshal(ev.Kv.Value, &r) != nil {
					continue
				}
				r.Revision = ev.Kv.ModRevision
			}
			if v.keep != nil && !v.keep(parts[p], r) {
				continue
			}
			parts[p] = r
		case strings.HasPrefix(key, v.store.membersPrefix()):
			if !copied {
				members = make(map[string]Member, len(v.members))
				for k, m := range v.members {
					members[k] = m
				}
				copied = true
			}
			id := key[len(v.store.membersPrefix()):]
			if ev.Type == clientv3.EventTypeDelete {
				delete(members, id)
				continue
			}
			var m Member
			if json.Unmarshal(ev.Kv.Value, &m) == nil {
				members[id] = m
			}
		}
	}
	v.parts, v.members, v.rev, v.err = parts, members, rev, nil
	v.notifyLocked()
}

func (v *View) notifyLocked() {
	close(v.changed)
	v.changed = make(chan struct{})
}

func (v *View) setErr(err error) {
	v.mu.Lock()
	v.err = err
	v.mu.Unlock()
}

// Partitions returns the current records of all partitions; the slice is shared and
// must not be modified.
func (v *View) Partitions() []Record {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.parts
}

// Partition returns partition p's current record.
func (v *View) Partition(p int) Record {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.parts[p]
}

// Member returns a live member by id.
func (v *View) Member(id string) (Member, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	m, ok := v.members[id]
	return m, ok
}

// Members returns the live members; the map is shared and must not be modified.
func (v *View) Members() map[string]Member {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.members
}

// Changed returns a channel closed at the next change after the call.
func (v *View) Changed() <-chan struct{} {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.changed
}

// Revision returns the etcd revision the view reflects.
func (v *View) Revision() int64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.rev
}

// WaitRevision waits until the view reflects etcd revision rev (a change this member
// made itself, say) or ctx ends.
func (v *View) WaitRevision(ctx context.Context, rev int64) error {
	for {
		v.mu.RLock()
		cur, ch := v.rev, v.changed
		v.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("ownership: view at revision %d, waiting for %d: %w", cur, rev, ctx.Err())
		}
	}
}

// Close stops following etcd.
func (v *View) Close() {
	v.cancel()
	<-v.done
}
