package cluster

import (
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/remote"
)

// ErrNoOwner: no member serves the identity now (its partition has no owner, or is
// moving, or its activation kept going away); nothing was delivered, and the request
// may succeed later.
var ErrNoOwner = errors.New("no member serves this identity now")

// requester is the cluster context the member installs: protoactor's default one builds
// a new log throttle on every request and retries without backing off.
type requester struct {
	c *pcluster.Cluster
	// replies answers requests to actors of this process; nil until the member runs.
	replies *replies
	// cache remembers where identities were found; protoactor's own PID cache cannot
	// be emptied when ownership changes.
	cache *pidCache
}

var _ pcluster.Context = (*requester)(nil)

func newRequester(c *pcluster.Cluster) pcluster.Context {
	r := &requester{c: c, cache: newPidCache()}
	if p, ok := c.Config.IdentityLookup.(*Placement); ok {
		r.cache = p.cache
	}
	return r
}

func (r *requester) Request(identity, kind string, msg any, opts ...pcluster.GrainCallOption) (any, error) {
	cfg := pcluster.NewGrainCallOptions(r.c)
	for _, o := range opts {
		o(cfg)
	}
	return r.request(identity, kind, cfg.Timeout, func(*actor.PID) (any, error) { return msg, nil })
}

// request is Request with the message chosen per destination.
func (r *requester) request(identity, kind string, timeout time.Duration, msgFor func(*actor.PID) (any, error)) (any, error) {
	const attempts = 3
	root := r.c.ActorSystem.Root
	var lastErr error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
		}
		pid := r.pid(identity, kind, timeout)
		if pid == nil {
			lastErr = fmt.Errorf("%w: %s/%s", ErrNoOwner, kind, identity)
			continue
		}
		msg, err := msgFor(pid)
		if err != nil {
			return nil, err
		}
		var res any
		if r.replies != nil && pid.Address == r.c.ActorSystem.Address() {
			res, err = r.replies.ask(root, pid, msg, timeout)
		} else {
			res, err = root.RequestFuture(pid, msg, timeout).Result()
		}
		if err == nil {
			return res, nil
		}
		lastErr = err
		if errors.Is(err, actor.ErrTimeout) || errors.Is(err, remote.ErrTimeout) {
			return nil, fmt.Errorf("%w: %w", ErrTimeout, err)
		}
		if !retryable(err) {
			return nil, err
		}
		r.cache.removeByValue(kind+"/"+identity, pid)
	}
	if !errors.Is(lastErr, ErrNoOwner) {
		lastErr = fmt.Errorf("%w: %w", ErrNoOwner, lastErr)
	}
	return nil, fmt.Errorf("request to %s/%s failed after %d attempts: %w", kind, identity, attempts, lastErr)
}

func (r *requester) RequestFuture(identity, kind string, msg any, opts ...pcluster.GrainCallOption) (*actor.Future, error) {
	cfg := pcluster.NewGrainCallOptions(r.c)
	for _, o := range opts {
		o(cfg)
	}
	pid := r.pid(identity, kind, cfg.Timeout)
	if pid == nil {
		return nil, fmt.Errorf("%w: %s/%s", ErrNoOwner, kind, identity)
	}
	return cfg.Context.RequestFuture(pid, msg, cfg.Timeout), nil
}

// pid finds the activation of identity, waiting at most timeout for a member that
// activates it: a request must not outlast its caller's deadline in the lookup.
func (r *requester) pid(identity, kind string, timeout time.Duration) *actor.PID {
	key := kind + "/" + identity
	if pid := r.cache.get(key); pid != nil && r.stillThere(identity, pid) {
		return pid
	}
	var pid *actor.PID
	if p, ok := r.c.Config.IdentityLookup.(*Placement); ok {
		pid = p.getWithin(pcluster.NewClusterIdentity(identity, kind), timeout)
	} else {
		pid = r.c.Get(identity, kind)
	}
	if pid != nil {
		r.cache.set(key, pid)
	}
	return pid
}

// stillThere reports whether a cached PID is where ownership says the identity lives:
// a member that went down or lost the partition is not asked again only to time out.
func (r *requester) stillThere(identity string, pid *actor.PID) bool {
	p, ok := r.c.Config.IdentityLookup.(*Placement)
	if !ok || p.router == nil {
		return true
	}
	addr, local, ok := p.router.Route(identity)
	if !ok {
		return false
	}
	if local {
		return pid.Address == r.c.ActorSystem.Address()
	}
	return pid.Address == addr
}

// retryable reports a failure that proves the message was not taken: a dead letter.
// A timeout proves nothing (the message may wait in the actor's mailbox, or its turn
// on the disk), and sending again could apply a request twice.
func retryable(err error) bool {
	return errors.Is(err, actor.ErrDeadLetter) || errors.Is(err, remote.ErrDeadLetter)
}

// ErrTimeout: no answer came in time; whether the request took effect is unknown.
var ErrTimeout = errors.New("no answer in time; the request may or may not have taken effect")
