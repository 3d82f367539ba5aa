// Command peers runs the bench scenarios hello-sequence, fan-out and tree on this
// runtime and, with the same workload shape and parameters on the same machine, on
// durabletask-go (sqlite file backend) and go-workflows (sqlite backend behind its
// monoprocess wrapper). It prints ours, theirs and the ratio, then one JSON line per
// runtime in the shape of bench/'s result line; a peer's line adds "peer" and "ratio".
//
//	cd bench/peers && go run . -scenario hello-sequence -n 1000
//
// Each runtime runs in a child process of its own, so the peak RSS each line reports
// is that runtime's alone, and no goroutine, cache or file left by one runtime slows
// the next.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/godurable/durable/bench/internal/measure"
)

// Runtime names, as they appear in the "peer" field.
const (
	ours        = "durable"
	durabletask = "durabletask-go"
	goworkflows = "go-workflows"
)

var peerNames = []string{durabletask, goworkflows}

type params struct {
	scenario string
	n        int
	inflight int
	progress bool
	timeout  time.Duration

	// dtWAL puts durabletask-go's sqlite file in WAL mode; off, it runs on the
	// rollback journal its backend leaves in place.
	dtWAL bool
	// gwCache is go-workflows' workflow executor cache size (its bench tool's flag).
	gwCache int
	// clientWait makes the harness wait on each peer instance with the peer's own
	// client call instead of one watcher (see watcher).
	clientWait bool
}

// peerLine is bench/'s JSON result line plus the peer fields, which follow it. In
// every line throughput_per_s, seconds and the latencies are that line's runtime's own
// figures; ratio is our throughput divided by that peer's, so above 1 means ours is
// faster. Our own line has no ratio field.
type peerLine struct {
	measure.Result
	Peer  string   `json:"peer"`
	Ratio *float64 `json:"ratio,omitempty"`
}

// A runner runs one scenario on one runtime, from opening a fresh store to closing it.
type runner func(ctx context.Context, p params) (measure.Result, error)

var runners = map[string]runner{
	ours:         runOurs,
	durabletask:  runDurableTask,
	goworkflows:  runGoWorkflows,
	ourSidecar:   runSidecar(ourSidecar),
	theirSidecar: runSidecar(theirSidecar),
}

var scenarioNames = []string{"hello-sequence", "fan-out", "tree"}

// childFlag names the runtime a child process runs; the parent sets it.
const childFlag = "child"

// resultPrefix marks the line on which a child hands its result to the parent.
const resultPrefix = "result: "

func main() {
	var p params
	var peers, child string
	var repeat int
	flag.StringVar(&p.scenario, "scenario", "hello-sequence", "scenario: "+strings.Join(scenarioNames, ", ")+" or all")
	flag.IntVar(&p.n, "n", 1000, "orchestrations (hello-sequence), activities (fan-out) or root trees (tree)")
	flag.IntVar(&p.inflight, "inflight", 0, "instances kept in flight at once (0: all n started at once)")
	flag.StringVar(&peers, "peers", strings.Join(peerNames, ","), "peers to compare with, comma-separated ('' for ours alone)")
	flag.IntVar(&repeat, "repeat", 1, "runs per runtime, interleaved; each runtime reports its median-throughput run")
	flag.BoolVar(&p.progress, "progress", true, "print a progress line every few seconds")
	flag.DurationVar(&p.timeout, "timeout", 10*time.Minute, "limit for one runtime's run")
	flag.BoolVar(&p.dtWAL, "durabletask-wal", false, "run durabletask-go's sqlite file in WAL mode (its backend does not set a journal mode)")
	flag.IntVar(&p.gwCache, "goworkflows-cache", 128, "go-workflows workflow executor cache size (the default of its bench tool)")
	flag.BoolVar(&p.clientWait, "client-wait", false, "wait on each peer instance with the peer's own client call (polls per instance) instead of one shared watcher")
	sidecar := flag.Bool("sidecar", false, "compare the sidecars instead: one durabletask-go worker over gRPC, against `durable serve --grpc` and against durabletask-go's own sidecar")
	flag.StringVar(&child, childFlag, "", "internal: run one runtime in this process and report to the parent")
	flag.Parse()

	if child != "" {
		if err := childMain(child, p); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", child, err)
			os.Exit(1)
		}
		return
	}
	scenarios := []string{p.scenario}
	if p.scenario == "all" {
		scenarios = scenarioNames
	} else if !slices.Contains(scenarioNames, p.scenario) {
		fmt.Fprintf(os.Stderr, "unknown scenario %q\n", p.scenario)
		os.Exit(2)
	}
	runtimes := []string{ours}
	if *sidecar {
		// Our sidecar, and theirs unless -peers is empty.
		runtimes = []string{ourSidecar}
		if strings.TrimSpace(peers) != "" {
			runtimes = sidecarNames
		}
		peers = ""
	}
	for _, name := range strings.Split(peers, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, ok := runners[name]; !ok || name == ours {
			fmt.Fprintf(os.Stderr, "unknown peer %q (known: %s)\n", name, strings.Join(peerNames, ", "))
			os.Exit(2)
		}
		runtimes = append(runtimes, name)
	}
	if p.n < 1 || repeat < 1 {
		fmt.Fprintln(os.Stderr, "-n and -repeat must be at least 1")
		os.Exit(2)
	}
	ok := true
	for _, sc := range scenarios {
		q := p
		q.scenario = sc
		if !compare(q, runtimes, repeat) {
			ok = false
		}
	}
	if !ok {
		os.Exit(1)
	}
}

// compare runs the scenario on every runtime, prints a summary line per runtime and
// then the JSON lines; it reports whether every runtime completed.
func compare(p params, runtimes []string, repeat int) bool {
	inflight := p.inflight
	if inflight <= 0 || inflight > p.n {
		inflight = p.n
	}
	fmt.Printf("params: scenario=%s n=%d inflight=%d repeat=%d runtimes=%s durable=true durabletask-wal=%v goworkflows-cache=%d client-wait=%v\n",
		p.scenario, p.n, inflight, repeat, strings.Join(runtimes, ","), p.dtWAL, p.gwCache, p.clientWait)
	fmt.Printf("machine: %s loadavg=%s fsync_p50_ms=%s\n", measure.Machine(), loadAvg(), fsyncProbe())

	// Rounds interleave the runtimes, so a change in the machine's background load
	// during the comparison falls on all of them rather than on one.
	runs := make(map[string][]measure.Result)
	failed := make(map[string]bool)
	for round := 0; round < repeat; round++ {
		for _, name := range runtimes {
			if failed[name] {
				continue
			}
			res, err := runChild(name, p)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
				fmt.Printf("%-15s failed: %v\n", name+":", err)
				failed[name] = true
				continue
			}
			fmt.Printf("%-15s %s\n", name+":", summary(res))
			runs[name] = append(runs[name], res)
		}
	}

	final := make(map[string]measure.Result)
	for name, rs := range runs {
		final[name] = median(rs)
	}
	// The first runtime is the one the others are compared with: ours, or our sidecar.
	base, haveOurs := final[runtimes[0]]
	if repeat > 1 {
		for _, name := range runtimes {
			if res, ok := final[name]; ok {
				fmt.Printf("%-15s median of %d: %s\n", name+":", len(runs[name]), summary(res))
			}
		}
	}
	for _, name := range runtimes[1:] {
		if res, ok := final[name]; ok && haveOurs && res.Throughput > 0 {
			fmt.Printf("ratio %s/%s: %.1fx throughput (%.0f vs %.1f %s/s)\n",
				runtimes[0], name, base.Throughput/res.Throughput, base.Throughput, res.Throughput, res.Unit)
		}
	}
	for _, name := range runtimes {
		res, ok := final[name]
		if !ok {
			continue
		}
		l := peerLine{Result: res, Peer: name}
		// A peer's ratio needs our figure; without it the line carries none rather
		// than a made-up one.
		if name != runtimes[0] && haveOurs && res.Throughput > 0 {
			r := round2(base.Throughput / res.Throughput)
			l.Ratio = &r
		}
		b, _ := json.Marshal(l)
		fmt.Println(string(b))
	}
	return len(failed) == 0
}

func summary(r measure.Result) string {
	s := fmt.Sprintf("%d %s in %.3f s = %.1f/s", r.N, r.Unit, r.Seconds, r.Throughput)
	if r.P50 > 0 || r.P99 > 0 {
		s += fmt.Sprintf(", latency p50 %.1f ms p99 %.1f ms", r.P50, r.P99)
	}
	return s + fmt.Sprintf(", peak RSS %.0f MB", r.PeakRSSMB)
}

// median returns the run with the median throughput (the lower middle one of an even
// count, so a single fast outlier never decides).
func median(rs []measure.Result) measure.Result {
	s := slices.Clone(rs)
	sort.Slice(s, func(i, j int) bool { return s[i].Throughput < s[j].Throughput })
	return s[(len(s)-1)/2]
}

func round2(f float64) float64 {
	return float64(int64(f*100+0.5)) / 100
}

// runChild runs one runtime in a child process of this executable, forwards its
// output lines with the runtime's name in front, and returns the result it reports.
func runChild(name string, p params) (measure.Result, error) {
	exe, err := os.Executable()
	if err != nil {
		return measure.Result{}, err
	}
	args := []string{
		"-" + childFlag, name,
		"-scenario", p.scenario,
		"-n", fmt.Sprint(p.n),
		"-inflight", fmt.Sprint(p.inflight),
		"-progress=" + fmt.Sprint(p.progress),
		"-timeout", p.timeout.String(),
		"-durabletask-wal=" + fmt.Sprint(p.dtWAL),
		"-goworkflows-cache", fmt.Sprint(p.gwCache),
		"-client-wait=" + fmt.Sprint(p.clientWait),
	}
	// The parent kills a child that outlives its own limit by more than a grace
	// period, so a wedged runtime cannot hang the comparison.
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return measure.Result{}, err
	}
	if err := cmd.Start(); err != nil {
		return measure.Result{}, err
	}
	var res measure.Result
	var got bool
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if js, ok := strings.CutPrefix(line, resultPrefix); ok {
			if err := json.Unmarshal([]byte(js), &res); err != nil {
				return measure.Result{}, fmt.Errorf("bad result line %q: %w", js, err)
			}
			got = true
			continue
		}
		fmt.Printf("  [%s] %s\n", name, line)
	}
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return measure.Result{}, fmt.Errorf("child: %w", err)
	}
	if !got {
		return measure.Result{}, errors.New("child reported no result")
	}
	return res, nil
}

// childMain runs one runtime and prints its result on the result line.
func childMain(name string, p params) error {
	run, ok := runners[name]
	if !ok {
		return fmt.Errorf("unknown runtime %q", name)
	}
	if p.inflight <= 0 || p.inflight > p.n {
		p.inflight = p.n
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	res, err := run(ctx, p)
	if err != nil {
		return err
	}
	res.Scenario, res.PeakRSSMB = p.scenario, measure.PeakRSSMB()
	b, _ := json.Marshal(res)
	fmt.Println(resultPrefix + string(b))
	return nil
}

// fsyncProbe times 4 KiB synced writes in the temporary directory the stores use.
// Every runtime here waits on fsync for each commit, the sqlite peers most, so the
// figure says how much of a slow run was the disk (other processes' syncs included).
func fsyncProbe() string {
	f, err := os.CreateTemp("", "peers-fsync-")
	if err != nil {
		return "?"
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	ds := make([]time.Duration, 0, 50)
	for i := 0; i < cap(ds); i++ {
		t0 := time.Now()
		if _, err := f.WriteAt(buf, int64(i)*int64(len(buf))); err != nil {
			return "?"
		}
		if err := f.Sync(); err != nil {
			return "?"
		}
		ds = append(ds, time.Since(t0))
	}
	p50, _ := measure.Percentiles(ds)
	return fmt.Sprintf("%.2f", p50)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], ",")
}
