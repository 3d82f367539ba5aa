package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/internal/etcdtest"
)

// A zombie primary (its lease gate disabled by a test-only switch, and blind to the
// partitions it lost) is paused past its lease; its standby takes its partitions over.
// Resumed, the zombie still serves them in its own eyes and commits a new instance to
// its own journal, but the standby, now primary under a newer epoch, refuses the copy:
// the start is never acknowledged, and the instance does not exist in the cluster.
func TestClusterZombieIsFenced(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and two members, one of them a zombie")
	}
	etcd := etcdtest.Start(t)
	dir := t.TempDir()
	zdata := filepath.Join(dir, "zombie")
	cmd := exec.Command(memberBin, "serve", "--http", "127.0.0.1:0", "--data", zdata, "--cluster", "zombie",
		"--etcd", etcd.Endpoint, "--peer", freeAddr(t), "--lease-ttl", "2s")
	cmd.Env = append(os.Environ(), cluster.ZombieEnv+"=1")
	zombie := startCommand(t, cmd, zdata)
	other := startMember(t, etcd, "zombie", filepath.Join(dir, "other"), "--lease-ttl", "2s")
	zid := selfOf(t, zombie)

	tab := waitStandbys(t, other)
	p := -1
	for _, o := range tab.Owners {
		if o.Primary == zid {
			p = o.Partition
			break
		}
	}
	if p < 0 {
		t.Fatalf("the zombie owns no partition: %+v", tab.Owners)
	}
	id := ""
	for i := 0; id == ""; i++ {
		if c := fmt.Sprint("zombie-", i); cluster.PartitionOf(c, len(tab.Owners)) == p {
			id = c
		}
	}

	_ = zombie.cmd.Process.Signal(syscall.SIGSTOP)
	retry(t, "the standby takes the zombie's partition over", func() (bool, error) {
		tab, err := readTable(other)
		if err != nil {
			return false, err
		}
		o := tab.Owners[p]
		return o.Primary != zid && o.Primary != "", fmt.Errorf("partition %d with %q", p, o.Primary)
	})
	_ = zombie.cmd.Process.Signal(syscall.SIGCONT)

	// The zombie takes the start and commits it to its own journal; the fence keeps
	// it from being acknowledged.
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Post(fmt.Sprintf("%s/api/orchestrators/Chaining/%s", zombie.url, id), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusAccepted {
		t.Fatalf("the zombie acknowledged %s after its partition was taken over", id)
	}
	// What the zombie committed is nowhere in the cluster, and the partition serves.
	if _, code, err := getStatus(other, id, false); err != nil || code != http.StatusNotFound {
		t.Fatalf("%s through the new primary: %d %v, want 404", id, code, err)
	}
	startAcked(t, newLedger(t, filepath.Join(dir, "ledger")), other, "Chaining", id, `"after"`)
	waitCompleted(t, other, []string{id})
	t.Logf("the zombie answered %d; the new primary ran %s", resp.StatusCode, id)
	other.stop()
}
