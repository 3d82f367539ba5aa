package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godurable/durable/bench/internal/measure"
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
	}
	for name := range scenarios {
		args, ok := small[name]
		if !ok {
			t.Errorf("scenario %s has no smoke parameters", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(bin, append([]string{"-scenario", name, "-progress=false"}, args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			var res measure.Result
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
				t.Fatalf("last line is not the result: %v\n%s", err, out)
			}
			if res.Scenario != name || res.N <= 0 || res.Seconds <= 0 || res.Throughput <= 0 || res.Unit == "" || res.PeakRSSMB <= 0 {
				t.Fatalf("incomplete result: %+v", res)
			}
			if !strings.HasPrefix(lines[0], "params:") || !strings.HasPrefix(lines[1], "machine:") {
				t.Fatalf("parameters and machine lines missing:\n%s", out)
			}
		})
	}
}
