package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable/internal/etcdtest"
)

// netns is a network namespace joined to this one by a veth pair: a host of its own
// whose link the test can cut.
type netns struct {
	t                *testing.T
	name, hostIF     string
	hostIP, insideIP string
}

// requireNetnsEnv makes a machine that cannot make namespaces fail the test instead of
// skipping it; CI, which runs as root, sets it.
const requireNetnsEnv = "DURABLE_REQUIRE_NETNS"

func newNetns(t *testing.T) *netns {
	t.Helper()
	skip := func(why string) {
		if os.Getenv(requireNetnsEnv) != "" {
			t.Fatalf("network namespaces are required (%s): %s", requireNetnsEnv, why)
		}
		t.Skip(why)
	}
	if os.Geteuid() != 0 {
		skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skip("the ip command (iproute2) is missing")
	}
	n := rand.IntN(200) + 20
	ns := &netns{t: t, name: fmt.Sprintf("durable-%d", n), hostIF: fmt.Sprintf("dur%d-h", n),
		hostIP: fmt.Sprintf("10.213.%d.1", n), insideIP: fmt.Sprintf("10.213.%d.2", n)}
	inside := fmt.Sprintf("dur%d-n", n)
	for _, c := range [][]string{
		{"netns", "add", ns.name},
		{"link", "add", ns.hostIF, "type", "veth", "peer", "name", inside},
		{"link", "set", inside, "netns", ns.name},
		{"addr", "add", ns.hostIP + "/24", "dev", ns.hostIF},
		{"link", "set", ns.hostIF, "up"},
		{"netns", "exec", ns.name, "ip", "addr", "add", ns.insideIP + "/24", "dev", inside},
		{"netns", "exec", ns.name, "ip", "link", "set", inside, "up"},
		{"netns", "exec", ns.name, "ip", "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			ns.remove()
			skip(fmt.Sprintf("ip %v: %v: %s", c, err, out))
		}
	}
	t.Cleanup(ns.remove)
	return ns
}

func (ns *netns) remove() {
	_ = exec.Command("ip", "link", "del", ns.hostIF).Run()
	_ = exec.Command("ip", "netns", "del", ns.name).Run()
}

// cut and heal take the namespace's link down and up: its members can reach neither
// etcd nor the other members, nor be reached.
func (ns *netns) cut()  { ns.link("down") }
func (ns *netns) heal() { ns.link("up") }

func (ns *netns) link(state string) {
	if out, err := exec.Command("ip", "link", "set", ns.hostIF, state).CombinedOutput(); err != nil {
		ns.t.Fatalf("ip link set %s %s: %v: %s", ns.hostIF, state, err, out)
	}
}

func freeAddrOn(t *testing.T, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// splitCluster starts two members on the host and a third in a network namespace the
// test can cut off, and returns them with the namespace and the third member's id.
func splitCluster(t *testing.T, name string, extra ...string) (*netns, []*server, string) {
	t.Helper()
	ns := newNetns(t)
	etcd := etcdtest.StartAt(t, ns.hostIP)
	dir := t.TempDir()
	var members []*server
	for i := range 2 {
		args := append([]string{"--cluster", name, "--etcd", etcd.Endpoint, "--peer", freeAddrOn(t, ns.hostIP), "--lease-ttl", "2s"}, extra...)
		members = append(members, startBinary(t, memberBin, filepath.Join(dir, fmt.Sprint("m", i)), args...))
	}
	// The third member lives in the namespace; the test port is free there as well,
	// since nothing else runs in it.
	args := append([]string{"netns", "exec", ns.name, memberBin, "serve", "--http", ns.insideIP + ":0",
		"--data", filepath.Join(dir, "m2"), "--cluster", name, "--etcd", etcd.Endpoint,
		"--peer", ns.insideIP + ":7100", "--lease-ttl", "2s"}, extra...)
	members = append(members, startCommand(t, exec.Command("ip", args...), filepath.Join(dir, "m2")))
	return ns, members, selfOf(t, members[2])
}

// startAll starts n Chaining instances through the members on the host, retrying
// while a partition has no owner when retry503 is set, and returns their ids and
// whether any start met a 503.
func startAll(t *testing.T, members []*server, prefix string, n int, retry503 bool) (started []string, saw503 bool) {
	t.Helper()
	for i := 0; len(started) < n; i++ {
		id := fmt.Sprint(prefix, i)
		code, err := apiCall("POST", fmt.Sprintf("%s/api/orchestrators/Chaining/%s", members[i%2].url, id), `"x"`, nil)
		switch {
		case err != nil:
			t.Fatal(err)
		case code == http.StatusAccepted:
			started = append(started, id)
		case code == http.StatusServiceUnavailable:
			saw503 = true
			if retry503 {
				i--
				time.Sleep(20 * time.Millisecond)
			}
		default:
			t.Fatalf("start %s while a member is cut off: %d", id, code)
		}
	}
	return started, saw503
}

func waitCompleted(t *testing.T, m *server, ids []string) {
	t.Helper()
	for _, id := range ids {
		retry(t, id, func() (bool, error) {
			st, code, err := getStatus(m, id, false)
			return code == http.StatusOK && st.RuntimeStatus == "Completed", fmt.Errorf("%d %v %s", code, err, st.RuntimeStatus)
		})
	}
}

// With one copy of each partition, a member cut off from etcd and the other members
// by a network partition stops serving: the others answer 503 for its partitions and
// show them down. Healed, it joins again and takes its partitions back under new
// epochs, and work started while it was away completes.
func TestClusterNetworkPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("makes a network namespace and three members")
	}
	ns, members, cutOff := splitCluster(t, "split", "--replicas", "1")
	partitionsOf := func(m *server) (down int, epochs map[int]uint64) {
		out, code := m.durable("partitions")
		if code != 0 {
			t.Fatalf("durable partitions: %s", out)
		}
		epochs = map[int]uint64{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			f := strings.Fields(line)
			if strings.Contains(line, "(down)") || strings.Contains(line, "(none)") {
				down++
			}
			if len(f) >= 3 && f[1] == cutOff {
				var p int
				var e uint64
				fmt.Sscan(f[0], &p)
				fmt.Sscan(f[len(f)-1], &e)
				epochs[p] = e
			}
		}
		return down, epochs
	}
	retry(t, "all partitions owned", func() (bool, error) {
		down, mine := partitionsOf(members[0])
		return down == 0 && len(mine) > 0, fmt.Errorf("%d down, %d owned by the cut-off member", down, len(mine))
	})
	_, before := partitionsOf(members[0])

	ns.cut()
	retry(t, "the cut-off member's partitions shown down", func() (bool, error) {
		down, _ := partitionsOf(members[0])
		return down == len(before), fmt.Errorf("%d partitions down, want %d", down, len(before))
	})
	// Work for every partition, started while one member is away: 503s for its share.
	started, saw503 := startAll(t, members, "split-", 30, false)
	if !saw503 {
		t.Fatal("no request met the cut-off member's partitions")
	}
	ns.heal()
	retry(t, "partitions taken back under new epochs", func() (bool, error) {
		down, after := partitionsOf(members[0])
		for p, e := range before {
			if after[p] <= e {
				return false, fmt.Errorf("partition %d at epoch %d, was %d (%d down)", p, after[p], e, down)
			}
		}
		return down == 0, fmt.Errorf("%d down", down)
	})
	waitCompleted(t, members[2], started)
	for _, m := range members {
		m.stop()
	}
}

// With a standby for each partition, a primary cut off from etcd and from its
// standbys loses its partitions to them: they serve again within the lease's TTL and
// a few seconds, work started meanwhile completes, and what the cut-off member had
// acknowledged before the cut is all there. Healed, it joins again as a follower:
// the partitions stay where they went.
func TestClusterNetworkPartitionFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("makes a network namespace and three members")
	}
	ns, members, cutOff := splitCluster(t, "splitfail")
	tab := waitStandbys(t, members[0])
	before := map[int]uint64{}
	for _, o := range tab.Owners {
		if o.Primary == cutOff {
			before[o.Partition] = o.Epoch
		}
	}
	if len(before) == 0 {
		t.Fatal("the member in the namespace owns no partition")
	}
	// Acknowledged through the member about to be cut off, in every partition.
	var early []string
	for i := range 30 {
		id := fmt.Sprint("early-", i)
		retry(t, "start "+id, func() (bool, error) {
			code, err := apiCall("POST", fmt.Sprintf("%s/api/orchestrators/Chaining/%s", members[2].url, id), `"x"`, nil)
			return code == http.StatusAccepted, fmt.Errorf("%d %v", code, err)
		})
		early = append(early, id)
	}

	ns.cut()
	cut := time.Now()
	retry(t, "the cut-off member's partitions taken over", func() (bool, error) {
		tab, err := readTable(members[0])
		if err != nil {
			return false, err
		}
		for _, o := range tab.Owners {
			if o.Primary == cutOff || o.Primary == "" {
				return false, fmt.Errorf("partition %d with %q", o.Partition, o.Primary)
			}
		}
		return true, nil
	})
	t.Logf("%d partitions served again %v after the cut (lease TTL 2s)", len(before), time.Since(cut).Round(time.Millisecond))
	started, _ := startAll(t, members, "splitfail-", 30, true)
	ns.heal()
	retry(t, "the healed member joins again", func() (bool, error) {
		tab, err := readTable(members[0])
		if err != nil {
			return false, err
		}
		for _, m := range tab.Members {
			if m.ID == cutOff {
				return true, nil
			}
		}
		return false, fmt.Errorf("%d members", len(tab.Members))
	})
	tab, err := readTable(members[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range tab.Owners {
		if e, ok := before[o.Partition]; ok && (o.Primary == cutOff || o.Epoch <= e) {
			t.Fatalf("partition %d: primary %s at epoch %d, was the cut-off member's at %d", o.Partition, o.Primary, o.Epoch, e)
		}
	}
	waitCompleted(t, members[2], append(early, started...))
	for _, m := range members {
		m.stop()
	}
}
