package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/godurable/durable/internal/etcdtest"
)

// load starts Chaining instances without pause through the members targets returns,
// and reads the status of each right after; a request that fails is counted, never
// retried.
type load struct {
	t       *testing.T
	targets func() []*server
	stop    chan struct{}
	wg      sync.WaitGroup
	next    atomic.Int64
	failed  atomic.Int64
	// uncertain counts starts cut short by the request timeout (504).
	uncertain atomic.Int64
	// rounds counts each worker's requests begun, so a test can await that every
	// worker has picked its target anew.
	rounds []atomic.Int64

	mu       sync.Mutex
	started  []string
	failures []string
}

func startLoad(t *testing.T, workers int, targets func() []*server) *load {
	l := &load{t: t, targets: targets, stop: make(chan struct{}), rounds: make([]atomic.Int64, workers)}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				ms := l.targets()
				l.rounds[w].Add(1)
				i := l.next.Add(1)
				m := ms[(int(i)+w)%len(ms)]
				id := fmt.Sprint("scale-", i)
				url := fmt.Sprintf("%s/api/orchestrators/Chaining/%s", m.url, id)
				code, err := apiCall("POST", url, `"s"`, nil)
				if err == nil && code == http.StatusGatewayTimeout {
					// No answer within the request timeout: the start may or may not have
					// taken effect, as the API says. The instance tells which; one that
					// does not exist is started again, as a client would.
					l.uncertain.Add(1)
					switch _, code, err = getStatus(m, id, false); {
					case err == nil && (code == http.StatusOK || code == http.StatusAccepted):
						code = http.StatusAccepted
					case err == nil && code == http.StatusNotFound:
						code, err = apiCall("POST", url, `"s"`, nil)
					}
				}
				if err != nil || code != http.StatusAccepted {
					l.fail(fmt.Sprintf("start %s through %s: %d %v", id, m.url, code, err))
					continue
				}
				l.mu.Lock()
				l.started = append(l.started, id)
				l.mu.Unlock()
				if _, code, err := getStatus(m, id, false); err != nil || code != http.StatusOK && code != http.StatusAccepted {
					l.fail(fmt.Sprintf("status of %s through %s: %d %v", id, m.url, code, err))
				}
			}
		}()
	}
	return l
}

// moveOn waits until every worker has begun a request after the call, and so chose
// its target from targets as they are now.
func (l *load) moveOn() {
	l.t.Helper()
	before := make([]int64, len(l.rounds))
	for w := range l.rounds {
		before[w] = l.rounds[w].Load()
	}
	retry(l.t, "every worker picks its target anew", func() (bool, error) {
		for w := range l.rounds {
			if l.rounds[w].Load() <= before[w]+1 {
				return false, fmt.Errorf("worker %d at round %d", w, l.rounds[w].Load())
			}
		}
		return true, nil
	})
}

func (l *load) fail(what string) {
	l.failed.Add(1)
	l.mu.Lock()
	if len(l.failures) < 10 {
		l.failures = append(l.failures, what)
	}
	l.mu.Unlock()
}

func (l *load) end() []string {
	close(l.stop)
	l.wg.Wait()
	if n := l.failed.Load(); n > 0 {
		l.t.Fatalf("%d requests failed under load, first: %v", n, l.failures)
	}
	return l.started
}

// A cluster grows from one member to three and shrinks to two under a steady load:
// partitions move to the members that join and off the member stopped (SIGTERM) by
// handoff, and no request fails meanwhile. Everything started completes.
func TestClusterScalesUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and three members")
	}
	etcd := etcdtest.Start(t)
	dir := t.TempDir()
	start := func(i int) *server {
		return startMember(t, etcd, "scale", filepath.Join(dir, fmt.Sprint("m", i)), "--lease-ttl", "3s", "-v")
	}
	a := start(0)
	retry(t, "the first member owns every partition", func() (bool, error) {
		tab, err := readTable(a)
		if err != nil {
			return false, err
		}
		for _, o := range tab.Owners {
			if o.Primary == "" {
				return false, fmt.Errorf("partition %d has no owner", o.Partition)
			}
		}
		return true, nil
	})
	var mu sync.Mutex
	serving := []*server{a}
	l := startLoad(t, 4, func() []*server {
		mu.Lock()
		defer mu.Unlock()
		return serving
	})
	// Scale out: each member that joins takes its share.
	b, c := start(1), start(2)
	mu.Lock()
	serving = []*server{a, b, c}
	mu.Unlock()
	ids := map[*server]string{a: selfOf(t, a), b: selfOf(t, b), c: selfOf(t, c)}
	retry(t, "partitions spread over three members, each with a standby", func() (bool, error) {
		tab, err := readTable(a)
		if err != nil {
			return false, err
		}
		owned := map[string]int{}
		for _, o := range tab.Owners {
			if o.Standby == "" {
				return false, fmt.Errorf("partition %d has no standby", o.Partition)
			}
			owned[o.Primary]++
		}
		for _, id := range ids {
			if owned[id] == 0 {
				return false, fmt.Errorf("member %s owns nothing: %v", id, owned)
			}
		}
		return true, nil
	})
	// Scale in: the member stopped hands its partitions off first.
	mu.Lock()
	serving = []*server{a, b}
	mu.Unlock()
	l.moveOn() // requests already sent to c have finished
	c.stop()
	retry(t, "the stopped member's partitions served by the others", func() (bool, error) {
		tab, err := readTable(a)
		if err != nil {
			return false, err
		}
		for _, o := range tab.Owners {
			if o.Primary != ids[a] && o.Primary != ids[b] {
				return false, fmt.Errorf("partition %d with %q", o.Partition, o.Primary)
			}
		}
		return true, nil
	})
	l.moveOn() // load goes on over the two members left
	started := l.end()
	if len(started) == 0 {
		t.Fatal("no instance started")
	}
	t.Logf("%d instances started while scaling 1 → 3 → 2 (%d cut short by the request timeout, then checked)", len(started), l.uncertain.Load())
	waitCompleted(t, b, started)
	a.stop()
	b.stop()
}
