package ownership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrMemberRunning: a member with the same id holds a live lease: another process, or
// this member's previous incarnation whose lease has not expired yet.
var ErrMemberRunning = errors.New("a member with this id is already registered in the cluster")

// MinTTL is the shortest lease etcd grants.
const MinTTL = 2 * time.Second

// Lease is a member's ownership lease and its presence in the member list. The member
// may commit only while Valid: it is renewed every third of its TTL, and counted valid
// for two thirds of the TTL after the last renewal was sent, so a member that cannot
// renew stops before etcd can hand its partitions to another.
type Lease struct {
	store *Store
	id    clientv3.LeaseID
	ttl   time.Duration
	// renewed is when the last successful renewal was sent, as time since base: etcd
	// extended the lease no earlier than that. Durations on base's monotonic clock, so
	// a wall clock stepped back does not stretch the lease.
	base     time.Time
	renewed  atomic.Int64
	lost     chan struct{}
	lostOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	// unfenced disables the gate: only tests that play a zombie member set it.
	unfenced atomic.Bool
}

// Register publishes m in the member list under a new lease of ttl (at least MinTTL)
// and keeps the lease alive until Close or until it is lost. A member id already
// registered is refused: two processes must not share one.
func (s *Store) Register(ctx context.Context, m Member, ttl time.Duration) (*Lease, error) {
	ttl = max(ttl, MinTTL).Round(time.Second)
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	sent := time.Now()
	grant, err := s.c.Grant(ctx, int64(ttl/time.Second))
	if err != nil {
		return nil, fmt.Errorf("ownership: grant lease: %w", err)
	}
	key := s.memberKey(m.ID)
	res, err := s.c.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(b), clientv3.WithLease(grant.ID))).
		Commit()
	if err == nil && !res.Succeeded {
		err = fmt.Errorf("%w: %q", ErrMemberRunning, m.ID)
	}
	if err != nil {
		_, _ = s.c.Revoke(context.Background(), grant.ID)
		return nil, fmt.Errorf("ownership: register member: %w", err)
	}
	l := &Lease{store: s, id: grant.ID, ttl: ttl, base: sent, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.keepAlive()
	return l, nil
}

// Update publishes m in place of the member record Register published, if the record
// is still this lease's.
func (l *Lease) Update(ctx context.Context, m Member) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	key := l.store.memberKey(m.ID)
	res, err := l.store.c.Txn(ctx).
		If(clientv3.Compare(clientv3.LeaseValue(key), "=", l.id)).
		Then(clientv3.OpPut(key, string(b), clientv3.WithLease(l.id))).
		Commit()
	if err == nil && !res.Succeeded {
		err = errors.New("the member record is not this lease's any more")
	}
	if err != nil {
		return fmt.Errorf("ownership: update member: %w", err)
	}
	return nil
}

// TTL returns the lease's time to live.
func (l *Lease) TTL() time.Duration { return l.ttl }

// Valid reports whether the member may still act as an owner: less than two thirds of
// the TTL have passed since the last renewal was sent.
func (l *Lease) Valid() bool {
	if l.unfenced.Load() {
		return true
	}
	select {
	case <-l.lost:
		return false
	default:
	}
	return time.Since(l.Renewed()) < l.ttl*2/3
}

// Renewed returns when the last successful renewal was sent.
func (l *Lease) Renewed() time.Time { return l.base.Add(time.Duration(l.renewed.Load())) }

// Lost is closed once the lease is gone for good: etcd dropped it, or it could not be
// renewed for a whole TTL. The member must stop serving and register again.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Unfence makes Valid always true, as a member with a broken clock or a bug might
// believe: only for tests proving that the epoch stops such a zombie.
func (l *Lease) Unfence() { l.unfenced.Store(true) }

func (l *Lease) keepAlive() {
	defer close(l.done)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-l.lost:
			return
		case <-t.C:
		}
		sent := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
		_, err := l.store.c.KeepAliveOnce(ctx, l.id)
		cancel()
		switch {
		case err == nil:
			l.renewed.Store(int64(sent.Sub(l.base)))
		case errors.Is(err, rpctypes.ErrLeaseNotFound):
			l.markLost()
		case time.Since(l.Renewed()) >= l.ttl:
			l.markLost() // etcd has dropped it by now, or will as soon as it can
		}
	}
}

func (l *Lease) markLost() { l.lostOnce.Do(func() { close(l.lost) }) }

// Close ends the lease, which removes the member from the member list at once.
func (l *Lease) Close(ctx context.Context) error {
	close(l.stop)
	<-l.done
	l.markLost()
	_, err := l.store.c.Revoke(ctx, l.id)
	if err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("ownership: revoke lease: %w", err)
	}
	return nil
}
