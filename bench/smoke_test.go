package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/internal/etcdtest"
)

// TestScenariosSmoke runs every scenario for a moment, each in its own process (one
// actor system per process), so the benchmarks keep working. It checks the shape of
// the result line, never a speed: timing assertions do not belong in tests.
func TestScenariosSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bench tool")
	}
	bin := filepath.Join(t.TempDir(), "bench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	small := map[string][]string{
		"hello-sequence": {"-n", "200", "-inflight", "50"},
		"fan-out":        {"-n", "500"},
		"sequence":       {"-n", "50"},
		"latency":        {"-n", "20"},
		"entity-one":     {"-n", "2000", "-inflight", "100"},
		"entity-many":    {"-n", "2000", "-inflight", "100", "-entities", "50"},
		"tree":           {"-n", "3"},
		"idle-scale":     {"-n", "200", "-inflight", "50"},
		"recovery":       {"-n", "200", "-inflight", "100"},
		"bank":           {"-n", "100", "-inflight", "20", "-entities", "10"},
		"failover":       {"-n", "1", "-members", "2"},
		"handoff":        {"-members", "2", "-inflight", "4"},
	}
	// The scenarios that move partitions start a cluster: etcd must be installed.
	needsEtcd := map[string]bool{"failover": true, "handoff": true}
	_, etcdErr := exec.LookPath("etcd")
	for name := range scenarios {
		args, ok := small[name]
		if !ok {
			t.Errorf("scenario %s has no smoke parameters", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			if needsEtcd[name] && etcdErr != nil {
				if os.Getenv(etcdtest.RequireEnv) != "" {
					t.Fatalf("etcd is required: %v", etcdErr)
				}
				t.Skip("etcd is not installed")
			}
			cmd := exec.Command(bin, append([]string{"-scenario", name, "-progress=false"}, args...)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v\n%s%s", err, out, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			var res measure.Result
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
				t.Fatalf("last line is not the result: %v\n%s", err, out)
			}
			complete := res.Seconds > 0 && res.Throughput > 0
			if needsEtcd[name] {
				complete = res.MaxUnavailableMs > 0 // how long partitions were unavailable is what these measure
			}
			if res.Scenario != name || res.N <= 0 || !complete || res.Unit == "" || res.PeakRSSMB <= 0 {
				t.Fatalf("incomplete result: %+v", res)
			}
			if !strings.HasPrefix(lines[0], "params:") || !strings.HasPrefix(lines[1], "machine:") {
				t.Fatalf("parameters and machine lines missing:\n%s", out)
			}
		})
	}
}
