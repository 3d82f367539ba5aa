package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godurable/durable/internal/etcdtest"
)

// ledger records acknowledgements, one line each, synced to disk before the next is
// asked for: what it holds was acknowledged, whatever happens to the members after.
type ledger struct {
	mu sync.Mutex
	f  *os.File
}

func newLedger(t *testing.T, path string) *ledger {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &ledger{f: f}
}

func (l *ledger) record(t *testing.T, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := fmt.Fprintln(l.f, line); err != nil {
		t.Error(err)
	}
	if err := l.f.Sync(); err != nil {
		t.Error(err)
	}
}

func (l *ledger) lines(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(l.f.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// clusterTable is what GET BASE/cluster says.
type clusterTable struct {
	Members []struct{ ID string }
	Owners  []struct {
		Partition        int
		Primary, Standby string
		Epoch            uint64
	}
}

func readTable(m *server) (clusterTable, error) {
	var tab clusterTable
	code, err := apiCall("GET", m.url+"/runtime/webhooks/durabletask/cluster", "", &tab)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("GET cluster: %d", code)
	}
	return tab, err
}

// waitStandbys waits until every partition has a live primary and a standby.
func waitStandbys(t *testing.T, m *server) clusterTable {
	t.Helper()
	var tab clusterTable
	retry(t, "every partition has a standby", func() (bool, error) {
		var err error
		if tab, err = readTable(m); err != nil {
			return false, err
		}
		for _, o := range tab.Owners {
			if o.Primary == "" || o.Standby == "" {
				return false, fmt.Errorf("partition %d: primary %q standby %q", o.Partition, o.Primary, o.Standby)
			}
		}
		return len(tab.Owners) > 0, nil
	})
	return tab
}

// startAcked starts instance id of orchestrator name through m, retrying while its
// partition has no owner, and records the acknowledgement in the ledger.
func startAcked(t *testing.T, l *ledger, m *server, name, id, body string) {
	url := fmt.Sprintf("%s/api/orchestrators/%s/%s", m.url, name, id)
	retry(t, "start "+id, func() (bool, error) {
		code, err := apiCall("POST", url, body, nil)
		return code == http.StatusAccepted, fmt.Errorf("%d %v", code, err)
	})
	l.record(t, id)
}

type instanceStatus struct {
	RuntimeStatus string
	CustomStatus  json.RawMessage
	Output        json.RawMessage
	HistoryEvents []struct{ EventType string }
}

func getStatus(m *server, id string, withHistory bool) (instanceStatus, int, error) {
	var st instanceStatus
	url := fmt.Sprintf("%s/runtime/webhooks/durabletask/instances/%s", m.url, id)
	if withHistory {
		url += "?showHistory=true"
	}
	code, err := apiCall("GET", url, "", &st)
	return st, code, err
}

// The primary of a third of the partitions is killed with SIGKILL while hundreds of
// instances wait on events and hundreds run activity chains: its standbys take its
// partitions over within the lease's TTL and a few seconds, and every acknowledged
// instance completes exactly once on the members left.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and three members, kills one")
	}
	etcd := etcdtest.Start(t)
	dir := t.TempDir()
	const ttl = 3 * time.Second
	var members []*server
	for i := range 3 {
		members = append(members, startMember(t, etcd, "failover", filepath.Join(dir, fmt.Sprint("m", i)),
			"--lease-ttl", ttl.String(), "-v"))
	}
	waitStandbys(t, members[0])
	l := newLedger(t, filepath.Join(dir, "ledger"))

	const waiting, chains = 200, 200
	var wg sync.WaitGroup
	work := make(chan func(), waiting+chains)
	for i := range waiting {
		work <- func() {
			startAcked(t, l, members[i%3], "OnboardingOrchestratorExternalEvent", fmt.Sprintf("approval-%d", i),
				fmt.Sprintf(`{"name":"e%d","role":"sales","approvalTimeoutSeconds":3600}`, i))
		}
	}
	close(work)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				f()
			}
		}()
	}
	wg.Wait()
	// Every approval is waiting for its event before the kill.
	for i := range waiting {
		id := fmt.Sprintf("approval-%d", i)
		retry(t, id+" waits", func() (bool, error) {
			st, code, err := getStatus(members[0], id, false)
			return (code == http.StatusOK || code == http.StatusAccepted) && strings.Contains(string(st.CustomStatus), "Waiting"), fmt.Errorf("%d %v %s", code, err, st.CustomStatus)
		})
	}
	// Chains run while the member dies.
	chainWork := make(chan int, chains)
	for i := range chains {
		chainWork <- i
	}
	close(chainWork)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range chainWork {
				// Started through the members that stay: the one killed may die before it answers.
				startAcked(t, l, members[[]int{0, 2}[i%2]], "Chaining", fmt.Sprintf("chain-%d", i), fmt.Sprintf(`"c%d"`, i))
			}
		}()
	}
	retry(t, "part of the chains started before the kill", func() (bool, error) {
		n := len(l.lines(t))
		return n >= waiting+chains/4, fmt.Errorf("%d acknowledged", n)
	})
	victim := members[1]
	before, err := readTable(members[0])
	if err != nil {
		t.Fatal(err)
	}
	victimID := selfOf(t, victim)
	owned := 0
	for _, o := range before.Owners {
		if o.Primary == victimID {
			owned++
		}
	}
	if owned == 0 {
		t.Fatalf("the member killed (%s) owned no partition: %+v", victimID, before.Owners)
	}
	_ = victim.cmd.Process.Kill()
	_ = victim.cmd.Wait()
	killed := time.Now()
	// Its partitions are served again by the others, while the chains go on starting.
	retry(t, "the killed member's partitions taken over", func() (bool, error) {
		tab, err := readTable(members[0])
		if err != nil {
			return false, err
		}
		for _, o := range tab.Owners {
			if o.Primary == victimID || o.Primary == "" {
				return false, fmt.Errorf("partition %d still with %q", o.Partition, o.Primary)
			}
		}
		return true, nil
	})
	t.Logf("%d partitions of the killed member served again %v after SIGKILL (lease TTL %v)", owned, time.Since(killed).Round(time.Millisecond), ttl)
	wg.Wait()

	survivors := []*server{members[0], members[2]}
	for i := range waiting {
		approve(t, survivors[i%2], fmt.Sprintf("approval-%d", i))
	}
	acked := l.lines(t)
	if len(acked) != waiting+chains {
		t.Fatalf("the ledger holds %d acknowledgements, want %d", len(acked), waiting+chains)
	}
	for k, id := range acked {
		completesOnce(t, survivors[k%2], id)
	}
	for _, m := range survivors {
		m.stop()
	}
}

// approve raises the approval an OnboardingOrchestratorExternalEvent instance waits for.
func approve(t *testing.T, through *server, id string) {
	t.Helper()
	url := fmt.Sprintf("%s/runtime/webhooks/durabletask/instances/%s/raiseEvent/ApprovalRequest", through.url, id)
	retry(t, "raise "+id, func() (bool, error) {
		code, err := apiCall("POST", url, `"approved"`, nil)
		return code == http.StatusAccepted, fmt.Errorf("%d %v", code, err)
	})
}

// completesOnce waits until instance id completes, and checks that its history ends
// once and that an approval was not lost.
func completesOnce(t *testing.T, through *server, id string) {
	t.Helper()
	var st instanceStatus
	retry(t, id+" completes", func() (bool, error) {
		var code int
		var err error
		st, code, err = getStatus(through, id, true)
		return code == http.StatusOK && st.RuntimeStatus == "Completed", fmt.Errorf("%d %v %s", code, err, st.RuntimeStatus)
	})
	ends := 0
	for _, ev := range st.HistoryEvents {
		if ev.EventType == "ExecutionCompleted" {
			ends++
		}
	}
	if ends != 1 {
		t.Fatalf("%s completed %d times", id, ends)
	}
	if strings.Contains(string(st.Output), "declined") {
		t.Fatalf("%s: an approval raised after the failure was lost: %s", id, st.Output)
	}
}

// selfOf returns the member id of m.
func selfOf(t *testing.T, m *server) string {
	t.Helper()
	var info struct{ Self string }
	retry(t, "member id", func() (bool, error) {
		code, err := apiCall("GET", m.url+"/runtime/webhooks/durabletask/cluster", "", &info)
		return code == http.StatusOK && info.Self != "", err
	})
	return info.Self
}

// A partition's standby is killed, then, once a new standby is in sync, its primary:
// the partition is served by the member left, and nothing acknowledged is lost. Then
// the whole cluster is killed with SIGKILL and started again on its data, and every
// acknowledged instance completes once.
func TestClusterLosesStandbyThenPrimaryThenAll(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and three members, kills them")
	}
	etcd := etcdtest.Start(t)
	dir := t.TempDir()
	const ttl = 3 * time.Second
	start := func(i int) *server {
		return startMember(t, etcd, "losses", filepath.Join(dir, fmt.Sprint("m", i)), "--lease-ttl", ttl.String())
	}
	members := []*server{start(0), start(1), start(2)}
	tab := waitStandbys(t, members[0])
	index := map[string]int{}
	for i, m := range members {
		index[selfOf(t, m)] = i
	}
	primary, standby := index[tab.Owners[0].Primary], index[tab.Owners[0].Standby]
	third := 3 - primary - standby
	l := newLedger(t, filepath.Join(dir, "ledger"))
	approvals := func(prefix string, n int, through *server) []string {
		var ids []string
		for i := range n {
			id := fmt.Sprintf("%s-%d", prefix, i)
			startAcked(t, l, through, "OnboardingOrchestratorExternalEvent", id,
				fmt.Sprintf(`{"name":"e%d","role":"sales","approvalTimeoutSeconds":3600}`, i))
			ids = append(ids, id)
		}
		for _, id := range ids {
			retry(t, id+" waits", func() (bool, error) {
				st, code, err := getStatus(through, id, false)
				return (code == http.StatusOK || code == http.StatusAccepted) && strings.Contains(string(st.CustomStatus), "Waiting"),
					fmt.Errorf("%d %v %s", code, err, st.CustomStatus)
			})
		}
		return ids
	}
	finish := func(ids []string, through *server) {
		for _, id := range ids {
			approve(t, through, id)
		}
		for _, id := range ids {
			completesOnce(t, through, id)
		}
	}
	first := approvals("loss", 100, members[third])

	kill := func(i int) {
		_ = members[i].cmd.Process.Kill()
		_ = members[i].cmd.Wait()
	}
	kill(standby)
	survivors := map[string]bool{}
	for id, i := range index {
		if i != standby {
			survivors[id] = true
		}
	}
	retry(t, "every partition copied again on the two members left", func() (bool, error) {
		tab, err := readTable(members[third])
		if err != nil {
			return false, err
		}
		for _, o := range tab.Owners {
			if !survivors[o.Primary] || !survivors[o.Standby] {
				return false, fmt.Errorf("partition %d: %s/%s", o.Partition, o.Primary, o.Standby)
			}
		}
		return true, nil
	})
	kill(primary)
	retry(t, "the member left serves every partition", func() (bool, error) {
		tab, err := readTable(members[third])
		if err != nil {
			return false, err
		}
		for _, o := range tab.Owners {
			if index[o.Primary] != third {
				return false, fmt.Errorf("partition %d with %s", o.Partition, o.Primary)
			}
		}
		return true, nil
	})
	finish(first, members[third])

	// The two come back; then all three die at once, and come back again.
	members[primary], members[standby] = start(primary), start(standby)
	waitStandbys(t, members[third])
	second := approvals("all", 50, members[0])
	for i := range members {
		kill(i)
	}
	for i := range members {
		members[i] = start(i)
	}
	finish(second, members[1])
	if acked := l.lines(t); len(acked) != len(first)+len(second) {
		t.Fatalf("the ledger holds %d acknowledgements, want %d", len(acked), len(first)+len(second))
	}
	for _, m := range members {
		m.stop()
	}
}
