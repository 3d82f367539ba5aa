// Package measure times benchmark runs and reports them the same way in bench and
// bench/peers: a closed loop of instances, latency percentiles, the process's memory,
// the machine line and the JSON result line. Sharing it keeps the figures of both
// tools comparable, and their result lines in one shape.
package measure

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Result is the JSON line every run ends with. Tools that add fields embed it, so
// its fields come first and keep their names.
type Result struct {
	Scenario   string  `json:"scenario"`
	N          int     `json:"n"`
	Seconds    float64 `json:"seconds"`
	Throughput float64 `json:"throughput_per_s"`
	Unit       string  `json:"unit"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	// Members and the CPU all of them used per orchestration, for cluster runs.
	Members               int     `json:"members,omitempty"`
	CPUPerOrchestrationMs float64 `json:"cpu_ms_per_orchestration,omitempty"`
	// Moves and MaxUnavailableMs, for the scenarios that move partitions: how many
	// moved, and the longest a partition took no writes (failover: from the kill until
	// it took one again).
	Moves            int     `json:"moves,omitempty"`
	MaxUnavailableMs float64 `json:"max_unavailable_ms,omitempty"`
}

// Percentiles returns the 50th and 99th percentile of ds in milliseconds, or zeros
// when ds is empty. It sorts ds in place.
func Percentiles(ds []time.Duration) (p50, p99 float64) {
	if len(ds) == 0 {
		return 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 {
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000
	}
	return at(0.50), at(0.99)
}

// Machine describes what a run ran on, for the "machine:" line: figures from
// different machines or Go versions are not comparable.
func Machine() string {
	return fmt.Sprintf("cpus=%d go=%s os=%s/%s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// PeakRSSMB reads the process's peak resident set size (VmHWM) from /proc, in MB;
// it is 0 where /proc is missing. The peak, not the current size, because a run's
// memory is highest in the middle of it.
func PeakRSSMB() float64 { return procStatusMB("VmHWM:") }

// RSSMB reads the process's current resident set size (VmRSS) from /proc, in MB.
func RSSMB() float64 { return procStatusMB("VmRSS:") }

func procStatusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
