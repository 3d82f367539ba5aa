package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/godurable/durable/internal/etcdtest"
)

var (
	chaosSeed   = flag.Uint64("chaos-seed", 0, "seed of the first cluster chaos round (0: random)")
	chaosRounds = flag.Int("chaos-rounds", 20, "cluster chaos rounds")
)

// Rounds of faults on a running cluster, each seeded: a member killed with SIGKILL and
// restarted, paused past its lease and resumed, or stopped and started again, while
// transfers lock and move money and chains run. After every round each acknowledged
// instance completes, once, and the money is all there. A failing round prints the
// command that replays it.
func TestClusterChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and three members, and hurts them")
	}
	seed := *chaosSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	etcd := etcdtest.Start(t)
	dir := t.TempDir()
	members := make([]*server, 3)
	start := func(i int) {
		members[i] = startBinary(t, memberBin, filepath.Join(dir, fmt.Sprint("m", i)),
			"--cluster", "chaos", "--etcd", etcd.Endpoint, "--peer", freeAddr(t), "--lease-ttl", "2s")
	}
	for i := range members {
		start(i)
	}
	const accounts = 6
	for i := range accounts {
		url := fmt.Sprintf("%s/runtime/webhooks/durabletask/entities/Account/c%d?op=deposit", members[0].url, i)
		retry(t, "deposit", func() (bool, error) {
			code, err := apiCall("POST", url, "100", nil)
			return code == http.StatusAccepted, err
		})
	}
	for round := range *chaosRounds {
		rs := seed + uint64(round)
		t.Logf("round %d: replay with go test -run TestClusterChaos ./cmd/durable/ -args -chaos-seed %d -chaos-rounds 1", round, rs)
		rng := rand.New(rand.NewPCG(rs, 0))
		victim := rng.IntN(len(members))
		alive := (victim + 1) % len(members)
		var ids []string
		for k := range 12 {
			id := fmt.Sprintf("r%d-%d", round, k)
			name, body := "Chaining", `"x"`
			if k%2 == 0 {
				from, to := rng.IntN(accounts), rng.IntN(accounts-1)
				if to >= from {
					to++
				}
				name, body = "TransferFunds", fmt.Sprintf(`{"from":"c%d","to":"c%d","amount":%d}`, from, to, 1+rng.IntN(30))
			}
			url := fmt.Sprintf("%s/api/orchestrators/%s/%s", members[alive].url, name, id)
			retry(t, "start "+id, func() (bool, error) {
				code, err := apiCall("POST", url, body, nil)
				return code == http.StatusAccepted, err
			})
			ids = append(ids, id)
		}
		switch fault := rng.IntN(3); fault {
		case 0:
			t.Logf("round %d: SIGKILL member %d, then restart it", round, victim)
			_ = members[victim].cmd.Process.Kill()
			_ = members[victim].cmd.Wait()
			start(victim)
		case 1:
			t.Logf("round %d: SIGSTOP member %d past its lease, then SIGCONT", round, victim)
			_ = members[victim].cmd.Process.Signal(syscall.SIGSTOP)
			time.Sleep(2500 * time.Millisecond) // the pause itself
			_ = members[victim].cmd.Process.Signal(syscall.SIGCONT)
		default:
			t.Logf("round %d: stop member %d with SIGTERM, then start it", round, victim)
			members[victim].stop()
			start(victim)
		}
		for _, id := range ids {
			retry(t, fmt.Sprintf("round %d (seed %d): %s", round, rs, id), func() (bool, error) {
				var st struct{ RuntimeStatus string }
				code, err := apiCall("GET", members[alive].url+"/runtime/webhooks/durabletask/instances/"+id, "", &st)
				if st.RuntimeStatus == "Failed" || st.RuntimeStatus == "Terminated" {
					t.Fatalf("round %d (seed %d): %s ended %s", round, rs, id, st.RuntimeStatus)
				}
				return code == http.StatusOK && st.RuntimeStatus == "Completed", fmt.Errorf("%d %v %s", code, err, st.RuntimeStatus)
			})
		}
		total := 0
		for i := range accounts {
			var st struct{ Balance int }
			retry(t, "balance", func() (bool, error) {
				code, err := apiCall("GET", fmt.Sprintf("%s/runtime/webhooks/durabletask/entities/Account/c%d", members[alive].url, i), "", &st)
				return code == http.StatusOK, err
			})
			total += st.Balance
		}
		if total != accounts*100 {
			t.Fatalf("round %d (seed %d): the accounts hold %d, want %d", round, rs, total, accounts*100)
		}
	}
	for _, m := range members {
		m.stop()
	}
}
