package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godurable/durable/internal/etcdtest"
)

// startMember runs `durable serve` as a member of cluster name.
func startMember(t *testing.T, etcd *etcdtest.Server, name, data string, extra ...string) *server {
	t.Helper()
	args := append([]string{"--cluster", name, "--etcd", etcd.Endpoint, "--peer", freeAddr(t)}, extra...)
	return startBinary(t, memberBin, data, args...)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// apiCall makes one HTTP request to a member and decodes a JSON answer into out.
func apiCall(method, url, body string, out any) (int, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// Instances started through any member run once, on the member that owns their
// partition, and every member answers for every one of them.
func TestClusterRoutesInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and three members")
	}
	etcd := etcdtest.Start(t)
	dir := t.TempDir()
	var members []*server
	for i := range 3 {
		members = append(members, startMember(t, etcd, "routing", filepath.Join(dir, fmt.Sprint("m", i))))
	}
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	ids := make(chan int, n)
	for i := range n {
		ids <- i
	}
	close(ids)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				m := members[(i+w)%len(members)]
				url := fmt.Sprintf("%s/api/orchestrators/Chaining/route-%d", m.url, i)
				deadline := time.Now().Add(30 * time.Second)
				for {
					code, err := apiCall("POST", url, fmt.Sprintf(`"item %d"`, i), nil)
					if err == nil && code == http.StatusAccepted {
						break
					}
					// 503: the partition has no owner yet, while the members settle.
					if time.Now().After(deadline) || err == nil && code != http.StatusServiceUnavailable {
						errs <- fmt.Errorf("start route-%d through %s: %d %v", i, m.url, code, err)
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	type status struct {
		RuntimeStatus string
		Output        json.RawMessage
	}
	for i := range n {
		var first status
		for k, m := range members {
			url := fmt.Sprintf("%s/runtime/webhooks/durabletask/instances/route-%d", m.url, i)
			var st status
			deadline := time.Now().Add(60 * time.Second)
			for {
				code, err := apiCall("GET", url, "", &st)
				if err == nil && code == http.StatusOK && st.RuntimeStatus == "Completed" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("route-%d seen from member %d: %d %v %+v", i, k, code, err, st)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if k == 0 {
				first = st
			} else if string(st.Output) != string(first.Output) {
				t.Fatalf("route-%d: member %d says %s, member 0 says %s", i, k, st.Output, first.Output)
			}
		}
	}

	// Listing from any member gathers every member's instances, in id order, and a
	// continuation token from one member is good on the next.
	for start := range members {
		var got []string
		token := ""
		for page := 0; ; page++ {
			m := members[(start+page)%len(members)]
			req, _ := http.NewRequest("GET", m.url+"/runtime/webhooks/durabletask/instances?top=300&instanceIdPrefix=route-", nil)
			if token != "" {
				req.Header.Set("x-ms-continuation-token", token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var rows []struct{ InstanceID string }
			err = json.NewDecoder(resp.Body).Decode(&rows)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				got = append(got, r.InstanceID)
			}
			if token = resp.Header.Get("x-ms-continuation-token"); token == "" {
				break
			}
		}
		if len(got) != n || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != n {
			t.Fatalf("listing from member %d: %d instances (sorted %v), want %d distinct", start, len(got), slices.IsSorted(got), n)
		}
	}
	// Sub-orchestrations and external events cross members: a parent's children live
	// in other partitions, and an approval is raised through another member than the
	// one the waiting instance was started through.
	for i := range 10 {
		body := fmt.Sprintf(`{"employees2onboard":[{"name":"a%d","role":"dev"},{"name":"b%d","role":"dev"},{"name":"c%d","role":"dev"}]}`, i, i, i)
		url := fmt.Sprintf("%s/api/orchestrators/ParallelOnboardingOrchestrator/parent-%d", members[i%3].url, i)
		retry(t, "start parent", func() (bool, error) {
			code, err := apiCall("POST", url, body, nil)
			return code == http.StatusAccepted, err
		})
		url = fmt.Sprintf("%s/api/orchestrators/OnboardingOrchestratorExternalEvent/approval-%d", members[i%3].url, i)
		retry(t, "start approval", func() (bool, error) {
			code, err := apiCall("POST", url, `{"name":"s","role":"sales"}`, nil)
			return code == http.StatusAccepted, err
		})
	}
	for i := range 10 {
		raise := fmt.Sprintf("%s/runtime/webhooks/durabletask/instances/approval-%d/raiseEvent/ApprovalRequest", members[(i+1)%3].url, i)
		retry(t, "raise approval", func() (bool, error) {
			code, err := apiCall("POST", raise, `"approved"`, nil)
			return code == http.StatusAccepted, err
		})
	}
	for i := range 10 {
		for _, id := range []string{fmt.Sprint("parent-", i), fmt.Sprint("approval-", i)} {
			retry(t, id, func() (bool, error) {
				var st struct{ RuntimeStatus string }
				code, err := apiCall("GET", members[(i+2)%3].url+"/runtime/webhooks/durabletask/instances/"+id, "", &st)
				if st.RuntimeStatus == "Failed" {
					t.Fatalf("%s failed", id)
				}
				return code == http.StatusOK && st.RuntimeStatus == "Completed", err
			})
		}
	}

	// The membership and ownership tables, from any member.
	out, code := members[2].durable("members")
	if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(out, "(this one)") {
		t.Fatalf("durable members: %d\n%s", code, out)
	}
	out, code = members[0].durable("partitions")
	if code != 0 || strings.Count(out, "\n") != 33 || strings.Contains(out, "(none)") || strings.Contains(out, "(down)") {
		t.Fatalf("durable partitions: %d\n%s", code, out)
	}
	for _, m := range members {
		m.stop()
	}
}

// retry repeats call until it reports done, for up to a minute: members answer 503
// while a partition waits for its owner.
func retry(t *testing.T, what string, call func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var err error
	for {
		var done bool
		if done, err = call(); done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Money moved between accounts on different members, by transfers that lock both, is
// neither lost nor made when a member is killed mid-run: with one copy of each
// partition (--replicas 1) its partitions wait for it, it takes them back when it
// restarts, and every transfer completes once.
func TestClusterMemberKilledAndRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and three members, kills one")
	}
	etcd := etcdtest.Start(t)
	dir := t.TempDir()
	var members []*server
	for i := range 3 {
		members = append(members, startMember(t, etcd, "bank", filepath.Join(dir, fmt.Sprint("m", i)), "--replicas", "1"))
	}
	const accounts, transfers = 10, 40
	for i := range accounts {
		url := fmt.Sprintf("%s/runtime/webhooks/durabletask/entities/Account/a%d?op=deposit", members[i%3].url, i)
		retry(t, "deposit", func() (bool, error) {
			code, err := apiCall("POST", url, "100", nil)
			return code == http.StatusAccepted, err
		})
	}
	balance := func(m *server, i int) (int, bool) {
		var st struct{ Balance int }
		code, err := apiCall("GET", fmt.Sprintf("%s/runtime/webhooks/durabletask/entities/Account/a%d", m.url, i), "", &st)
		return st.Balance, err == nil && code == http.StatusOK
	}
	for i := range accounts {
		retry(t, "initial balance", func() (bool, error) {
			b, ok := balance(members[0], i)
			return ok && b == 100, nil
		})
	}
	for k := range transfers {
		body := fmt.Sprintf(`{"from":"a%d","to":"a%d","amount":%d}`, k%accounts, (k*7+3)%accounts, 1+k%20)
		url := fmt.Sprintf("%s/api/orchestrators/TransferFunds/transfer-%d", members[k%3].url, k)
		retry(t, "start transfer", func() (bool, error) {
			code, err := apiCall("POST", url, body, nil)
			return code == http.StatusAccepted, err
		})
	}
	killed := members[1]
	_ = killed.cmd.Process.Kill()
	_ = killed.cmd.Wait()
	// While it is down, the others still answer for what they own, and a 503, never a
	// 500, for what it owns.
	for k := range transfers {
		code, err := apiCall("GET", fmt.Sprintf("%s/runtime/webhooks/durabletask/instances/transfer-%d", members[0].url, k), "", nil)
		if err != nil || code != http.StatusOK && code != http.StatusAccepted && code != http.StatusServiceUnavailable {
			t.Fatalf("transfer-%d while a member is down: %d %v", k, code, err)
		}
	}
	// A listing says it misses the partitions of the member that is away.
	unserved := func() string {
		resp, err := http.Get(members[0].url + "/runtime/webhooks/durabletask/instances")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("x-durable-unserved-partitions")
	}
	retry(t, "listing flags the partitions of the killed member", func() (bool, error) {
		return unserved() != "", nil
	})
	members[1] = startMember(t, etcd, "bank", filepath.Join(dir, "m1"), "--replicas", "1")
	retry(t, "listing whole again", func() (bool, error) { return unserved() == "", nil })
	for k := range transfers {
		for _, m := range members {
			retry(t, fmt.Sprintf("transfer-%d seen from %s", k, m.url), func() (bool, error) {
				var st struct{ RuntimeStatus string }
				code, err := apiCall("GET", fmt.Sprintf("%s/runtime/webhooks/durabletask/instances/transfer-%d", m.url, k), "", &st)
				return code == http.StatusOK && st.RuntimeStatus == "Completed", fmt.Errorf("%d %v %s", code, err, st.RuntimeStatus)
			})
		}
	}
	total := 0
	for i := range accounts {
		var b int
		retry(t, "final balance", func() (bool, error) {
			var ok bool
			b, ok = balance(members[2], i)
			return ok, nil
		})
		total += b
	}
	if total != accounts*100 {
		t.Fatalf("the accounts hold %d, want %d", total, accounts*100)
	}
	for _, m := range members {
		m.stop()
	}
}

// A member paused past its lease (SIGSTOP) stops counting as an owner; resumed, it
// learns it lost the lease, joins again, takes its partitions back under a new epoch
// (with one copy of each, nobody else may), and serves them.
func TestClusterPausedMemberRejoins(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and two members, pauses one")
	}
	etcd := etcdtest.Start(t)
	dir := t.TempDir()
	var members []*server
	for i := range 2 {
		members = append(members, startBinary(t, memberBin, filepath.Join(dir, fmt.Sprint("m", i)),
			"--cluster", "pause", "--etcd", etcd.Endpoint, "--peer", freeAddr(t), "--lease-ttl", "2s", "--replicas", "1"))
	}
	owners := func() map[int]struct {
		Primary string
		Epoch   uint64
	} {
		var info struct {
			Self   string
			Owners []struct {
				Partition int
				Primary   string
				Epoch     uint64
			}
		}
		out := map[int]struct {
			Primary string
			Epoch   uint64
		}{}
		retry(t, "cluster table", func() (bool, error) {
			code, err := apiCall("GET", members[0].url+"/runtime/webhooks/durabletask/cluster", "", &info)
			return code == http.StatusOK && len(info.Owners) == 32 && info.Owners[0].Primary != "", err
		})
		for _, o := range info.Owners {
			out[o.Partition] = struct {
				Primary string
				Epoch   uint64
			}{o.Primary, o.Epoch}
		}
		return out
	}
	var paused string
	var info struct{ Self string }
	if _, err := apiCall("GET", members[1].url+"/runtime/webhooks/durabletask/cluster", "", &info); err != nil {
		t.Fatal(err)
	}
	paused = info.Self
	before := owners()
	_ = members[1].cmd.Process.Signal(syscall.SIGSTOP)
	time.Sleep(3 * time.Second) // the pause itself: past the 2 s lease
	_ = members[1].cmd.Process.Signal(syscall.SIGCONT)
	// Its partitions come back to it under newer epochs.
	retry(t, "partitions taken back", func() (bool, error) {
		after := owners()
		for p, b := range before {
			if b.Primary == paused && (after[p].Primary != paused || after[p].Epoch <= b.Epoch) {
				return false, fmt.Errorf("partition %d: %+v, was %+v", p, after[p], b)
			}
		}
		return true, nil
	})
	for i := range 50 {
		url := fmt.Sprintf("%s/api/orchestrators/Chaining/after-pause-%d", members[i%2].url, i)
		retry(t, "start after the pause", func() (bool, error) {
			code, err := apiCall("POST", url, `"x"`, nil)
			return code == http.StatusAccepted, err
		})
	}
	for i := range 50 {
		retry(t, fmt.Sprintf("after-pause-%d", i), func() (bool, error) {
			var st struct{ RuntimeStatus string }
			code, err := apiCall("GET", fmt.Sprintf("%s/runtime/webhooks/durabletask/instances/after-pause-%d", members[(i+1)%2].url, i), "", &st)
			return code == http.StatusOK && st.RuntimeStatus == "Completed", err
		})
	}
	for _, m := range members {
		m.stop()
	}
}

// serveFails runs `durable serve` expecting it to refuse to start, and returns what it
// said.
func serveFails(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(memberBin, append([]string{"serve", "--http", "127.0.0.1:0"}, args...)...)
	done := make(chan []byte, 1)
	go func() {
		out, _ := cmd.CombinedOutput()
		done <- out
	}()
	select {
	case out := <-done:
		if cmd.ProcessState == nil || cmd.ProcessState.Success() {
			t.Fatalf("serve %v started: %s", args, out)
		}
		return string(out)
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("serve %v neither started nor refused", args)
		return ""
	}
}

// Members that cannot belong to the cluster are refused at start, saying why.
func TestClusterRefusesMisfits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and members")
	}
	etcd := etcdtest.Start(t)
	dir := t.TempDir()
	first := startMember(t, etcd, "shop", filepath.Join(dir, "m0"))

	out := serveFails(t, "--cluster", "shop", "--etcd", etcd.Endpoint, "--peer", freeAddr(t),
		"--partitions", "16", "--data", filepath.Join(dir, "m1"))
	if !strings.Contains(out, "created with 32 partitions") {
		t.Fatalf("another partition count: %s", out)
	}
	// The first member's data belongs to cluster "shop": it cannot join "other".
	first.stop()
	out = serveFails(t, "--cluster", "other", "--etcd", etcd.Endpoint, "--peer", freeAddr(t), "--data", first.data)
	if !strings.Contains(out, `belongs to cluster "shop"`) {
		t.Fatalf("a data directory of another cluster: %s", out)
	}
	// A directory that ran on its own holds instances no member would serve.
	solo := filepath.Join(dir, "solo")
	s := startServer(t, solo)
	if _, code := s.durable("start", "Chaining", "--input", `"x"`); code != 0 {
		t.Fatal("start on the solo server failed")
	}
	s.stop()
	out = serveFails(t, "--cluster", "shop", "--etcd", etcd.Endpoint, "--peer", freeAddr(t), "--data", solo)
	if !strings.Contains(out, "ran on its own") {
		t.Fatalf("a directory of a runtime on its own: %s", out)
	}
	// The peer port taken: a clear error, not a crash.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	out = serveFails(t, "--cluster", "shop", "--etcd", etcd.Endpoint, "--peer", busy.Addr().String(), "--data", filepath.Join(dir, "m2"))
	if !strings.Contains(out, "cannot listen for other members") {
		t.Fatalf("a busy peer port: %s", out)
	}
}
