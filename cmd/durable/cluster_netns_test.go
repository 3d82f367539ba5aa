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

// A member cut off from etcd and the other members by a network partition stops
// serving: the others answer 503 for its partitions and show them down. Healed, it
// joins again and takes its partitions back under new epochs, and work started while
// it was away completes.
func TestClusterNetworkPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("makes a network namespace and three members")
	}
	ns := newNetns(t)
	etcd := etcdtest.StartAt(t, ns.hostIP)
	dir := t.TempDir()
	var members []*server
	for i := range 2 {
		members = append(members, startBinary(t, memberBin, filepath.Join(dir, fmt.Sprint("m", i)),
			"--cluster", "split", "--etcd", etcd.Endpoint, "--peer", freeAddrOn(t, ns.hostIP), "--lease-ttl", "2s"))
	}
	// The third member lives in the namespace; the test port is free there as well,
	// since nothing else runs in it.
	cmd := exec.Command("ip", "netns", "exec", ns.name, memberBin, "serve", "--http", ns.insideIP+":0",
		"--data", filepath.Join(dir, "m2"), "--cluster", "split", "--etcd", etcd.Endpoint,
		"--peer", ns.insideIP+":7100", "--lease-ttl", "2s")
	members = append(members, startCommand(t, cmd, filepath.Join(dir, "m2")))
	var self struct{ Self string }
	if _, err := apiCall("GET", members[2].url+"/runtime/webhooks/durabletask/cluster", "", &self); err != nil {
		t.Fatal(err)
	}
	cutOff := self.Self
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
	var started []string
	saw503 := false
	for i := 0; len(started) < 30; i++ {
		id := fmt.Sprint("split-", i)
		code, err := apiCall("POST", fmt.Sprintf("%s/api/orchestrators/Chaining/%s", members[i%2].url, id), `"x"`, nil)
		switch {
		case err != nil:
			t.Fatal(err)
		case code == http.StatusAccepted:
			started = append(started, id)
		case code == http.StatusServiceUnavailable:
			saw503 = true
		default:
			t.Fatalf("start %s while a member is cut off: %d", id, code)
		}
	}
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
	for _, id := range started {
		retry(t, id, func() (bool, error) {
			var st struct{ RuntimeStatus string }
			code, err := apiCall("GET", members[2].url+"/runtime/webhooks/durabletask/instances/"+id, "", &st)
			return code == http.StatusOK && st.RuntimeStatus == "Completed", err
		})
	}
	for _, m := range members {
		m.stop()
	}
}
