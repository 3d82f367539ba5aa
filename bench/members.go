package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/workload"
	"github.com/godurable/durable/internal/etcdtest"
)

// With -members N the run's runtime is one member of an N-member cluster: the others
// are child processes of this binary, and etcd is started on loopback for the run.
// Requests start on this member and are routed to their partitions' owners, as in a
// service whose replicas each take a share of the traffic.

// memberChildEnv makes the bench binary one of the other members; it holds the
// member's settings as JSON.
const memberChildEnv = "DURABLE_BENCH_MEMBER"

type memberSettings struct {
	Etcd     string `json:"etcd"`
	Peer     string `json:"peer"`
	Dir      string `json:"dir"`
	Replicas int    `json:"replicas"`
}

// benchCluster is the members and etcd a -members run started, and what stops them.
type benchCluster struct {
	etcd     *exec.Cmd
	children []*child
	endpoint string
}

// child is another member, a child process of the bench.
type child struct {
	cmd      *exec.Cmd
	settings memberSettings
}

func clusterConfig(endpoint string, replicas int) *durable.ClusterConfig {
	return &durable.ClusterConfig{Name: "bench", Etcd: []string{endpoint}, Peer: freeAddr(), TTL: 5 * time.Second,
		Replicas: replicas}
}

// startCluster starts etcd and the other members, and returns the cluster settings of
// this process's member.
func startCluster(p params) (*benchCluster, *durable.ClusterConfig, error) {
	bin, err := exec.LookPath("etcd")
	if err != nil {
		return nil, nil, fmt.Errorf("-members needs etcd (Debian: apt-get install etcd-server): %w", err)
	}
	c := &benchCluster{endpoint: freeAddr()}
	peer := freeAddr()
	c.etcd = exec.Command(bin, "--name", "bench", "--data-dir", filepath.Join(p.dir, "etcd"),
		"--listen-client-urls", "http://"+c.endpoint, "--advertise-client-urls", "http://"+c.endpoint,
		"--listen-peer-urls", "http://"+peer, "--initial-advertise-peer-urls", "http://"+peer,
		"--initial-cluster", "bench=http://"+peer, "--log-level", "error")
	if err := c.etcd.Start(); err != nil {
		return nil, nil, err
	}
	if err := etcdtest.WaitReady(c.endpoint, 20*time.Second); err != nil {
		c.stop()
		return nil, nil, err
	}
	for i := 2; i <= p.members; i++ {
		c.children = append(c.children, &child{settings: memberSettings{Etcd: c.endpoint, Peer: freeAddr(),
			Dir: filepath.Join(p.dir, fmt.Sprint("member", i)), Replicas: p.replicas}})
		if err := c.restart(i - 2); err != nil {
			c.stop()
			return nil, nil, err
		}
	}
	return c, clusterConfig(c.endpoint, p.replicas), nil
}

// restart starts child i, on its data and address, and waits until it serves.
func (c *benchCluster) restart(i int) error {
	ch := c.children[i]
	b, _ := json.Marshal(ch.settings)
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), memberChildEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		return err
	}
	ch.cmd = cmd
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		return fmt.Errorf("member %d did not start", i+2)
	}
	return nil
}

// kill ends child i with SIGKILL.
func (c *benchCluster) kill(i int) error {
	if err := c.children[i].cmd.Process.Kill(); err != nil {
		return err
	}
	_ = c.children[i].cmd.Wait()
	return nil
}

// stopChild ends child i with SIGTERM and waits for it to exit.
func (c *benchCluster) stopChild(i int) error {
	if err := c.children[i].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return c.children[i].cmd.Wait()
}

func (c *benchCluster) stop() {
	for _, ch := range c.children {
		if ch.cmd != nil && ch.cmd.ProcessState == nil {
			_ = ch.cmd.Process.Signal(syscall.SIGTERM)
			_ = ch.cmd.Wait()
		}
	}
	if c.etcd != nil {
		_ = c.etcd.Process.Kill()
		_ = c.etcd.Wait()
	}
}

// cpuSeconds returns the CPU time the members used so far: this process first.
func (c *benchCluster) cpuSeconds() []float64 {
	out := []float64{procCPU(os.Getpid())}
	for _, ch := range c.children {
		out = append(out, procCPU(ch.cmd.Process.Pid))
	}
	return out
}

// procCPU reads a process's user and system time from /proc, in seconds.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which may hold spaces, start after its ')'.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// waitMembers waits until the cluster has n members and every partition an owner,
// and a standby when there are replicas.
func waitMembers(ctx context.Context, rt *durable.Runtime, n, replicas int) error {
	deadline := time.Now().Add(60 * time.Second)
	var last []durable.PartitionInfo
	var since time.Time
	for {
		info, err := rt.Client().Cluster(ctx)
		if err == nil && len(info.Members) == n && balanced(info, replicas) {
			switch {
			case !slices.Equal(info.Owners, last):
				last, since = info.Owners, time.Now()
			case time.Since(since) >= 2*time.Second:
				// Longer than members wait before they move partitions to those that
				// joined: the run must not share the machine with those moves.
				return nil
			}
		} else {
			last = nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the cluster did not form: %+v %v", info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// balanced reports whether every partition has a primary (and a standby, when there
// should be one) and every member is the primary of some.
func balanced(info *durable.ClusterInfo, replicas int) bool {
	primaries := map[string]bool{}
	for _, o := range info.Owners {
		if o.Primary == "" || o.Standby == "" && replicas >= 2 && len(info.Members) >= 2 {
			return false
		}
		primaries[o.Primary] = true
	}
	for _, m := range info.Members {
		if !primaries[m.ID] {
			return false
		}
	}
	return true
}

// memberChild runs one of the other members until SIGTERM.
func memberChild(p params, settings string) error {
	var s memberSettings
	if err := json.Unmarshal([]byte(settings), &s); err != nil {
		return err
	}
	cc := clusterConfig(s.Etcd, s.Replicas)
	cc.Peer = s.Peer
	rt, err := durable.Open(durable.Config{Dir: s.Dir, IdleTimeout: p.idle, Cluster: cc,
		Logger: benchLogger()})
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := workload.RegisterHello(rt); err != nil {
		return err
	}
	if err := workload.RegisterHelloSequence5(rt); err != nil {
		return err
	}
	if err := workload.RegisterProbe(rt); err != nil {
		return err
	}
	if err := rt.Start(); err != nil {
		return err
	}
	if p.cpuprof != "" {
		// Each member profiles its whole life, beside the bench's own profile.
		stop, err := record(p.cpuprof+"."+filepath.Base(s.Dir), pprof.StartCPUProfile, pprof.StopCPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	notifyTerm(sig)
	<-sig
	return nil
}

// benchLogger logs warnings and errors to stderr, and the runtime's story too with
// DURABLE_BENCH_LOG=info.
func benchLogger() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("DURABLE_BENCH_LOG") == "info" {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}

func notifyTerm(c chan os.Signal) { signal.Notify(c, syscall.SIGTERM, syscall.SIGINT) }
