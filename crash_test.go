package durable_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

// The crash test runs the runtime in a child process (this test binary, re-executed),
// kills it with SIGKILL at random moments and restarts it on the same data directory.
// The child appends one line per activity execution and per acknowledged client call
// to log files; a SIGKILL keeps completed writes, so the logs say exactly what ran
// and what was acknowledged before each kill.

const (
	crashEnv      = "DURABLE_CRASH_CHILD"
	crashChains   = 20
	crashFans     = 4
	crashFanWidth = 8
	crashWaiters  = 6
	crashTimers   = 4
	crashSubs     = 3
)

func crashChild() {
	dir := os.Getenv(crashEnv)
	run := os.Getenv("DURABLE_CRASH_RUN")
	rt, err := durable.Open(durable.Config{Dir: filepath.Join(dir, "data"), IdleTimeout: time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	acts := openLog(filepath.Join(dir, "activities.log"))
	acks := openLog(filepath.Join(dir, "acks.log"))
	registerCrashWorkload(rt, func(key string) { acts.line(key + " " + run) })
	c := rt.Client()
	ctx := context.Background()
	ids := crashInstanceIDs()
	if err := rt.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start runtime:", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	for _, in := range ids {
		if _, err := c.Status(ctx, in.id); err == nil {
			continue // started in an earlier run: starting again would replace a finished one
		}
		if _, err := c.Start(ctx, in.name, in.input, durable.WithInstanceID(in.id)); err != nil && !errors.Is(err, durable.ErrInstanceExists) {
			fmt.Fprintln(os.Stderr, "start:", err)
			os.Exit(2)
		}
		acks.line("start " + in.id)
	}
	for i := 0; i < crashWaiters; i++ {
		id := fmt.Sprintf("wait-%d", i)
		err := c.RaiseEvent(ctx, id, "Go", fmt.Sprintf("event-%d", i))
		if err != nil && !errors.Is(err, durable.ErrInstanceFinished) {
			fmt.Fprintln(os.Stderr, "raise:", err)
			os.Exit(2)
		}
		acks.line("raise " + id)
	}
	results := map[string]string{}
	for _, in := range ids {
		st, err := c.WaitForCompletion(ctx, in.id)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wait:", err)
			os.Exit(2)
		}
		results[in.id] = st.RuntimeStatus.String() + " " + string(st.Output)
	}
	b, _ := json.Marshal(results)
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		os.Exit(2)
	}
	_ = rt.Close()
	os.Exit(0)
}

type crashInstance struct {
	id, name string
	input    any
	want     string
}

func crashInstanceIDs() []crashInstance {
	var out []crashInstance
	for i := 0; i < crashChains; i++ {
		out = append(out, crashInstance{fmt.Sprintf("chain-%d", i), "CrashChain", i, fmt.Sprintf(`Completed %d`, i+5)})
	}
	for i := 0; i < crashFans; i++ {
		sum := 0
		for k := 0; k < crashFanWidth; k++ {
			sum += i*100 + k
		}
		out = append(out, crashInstance{fmt.Sprintf("fan-%d", i), "CrashFan", i, fmt.Sprintf(`Completed %d`, sum)})
	}
	for i := 0; i < crashWaiters; i++ {
		out = append(out, crashInstance{fmt.Sprintf("wait-%d", i), "CrashWait", nil, fmt.Sprintf(`Completed "event-%d!"`, i)})
	}
	for i := 0; i < crashTimers; i++ {
		out = append(out, crashInstance{fmt.Sprintf("timer-%d", i), "CrashTimer", i, fmt.Sprintf(`Completed %d`, i+1)})
	}
	for i := 0; i < crashSubs; i++ {
		out = append(out, crashInstance{fmt.Sprintf("sub-%d", i), "CrashSub", i, fmt.Sprintf(`Completed %d`, 2*(i+5))})
	}
	return out
}

func registerCrashWorkload(rt *durable.Runtime, record func(key string)) {
	slow := func() { time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond) }
	must(rt.RegisterActivity("Inc", func(_ context.Context, in struct {
		Key string
		N   int
	}) (int, error) {
		record(in.Key)
		slow()
		return in.N + 1, nil
	}))
	must(rt.RegisterOrchestrator("CrashChain", func(ctx *orchestrator.Context, n int) (int, error) {
		for step := 0; step < 5; step++ {
			var err error
			n, err = orchestrator.CallActivity[int](ctx, "Inc", map[string]any{
				"Key": fmt.Sprintf("%s/%d", ctx.InstanceID(), step), "N": n}).Await()
			if err != nil {
				return 0, err
			}
		}
		return n, nil
	}))
	must(rt.RegisterOrchestrator("CrashFan", func(ctx *orchestrator.Context, i int) (int, error) {
		var tasks []*orchestrator.Task[int]
		var all []orchestrator.Awaitable
		for k := 0; k < crashFanWidth; k++ {
			t := orchestrator.CallActivity[int](ctx, "Inc", map[string]any{
				"Key": fmt.Sprintf("%s/item%d", ctx.InstanceID(), k), "N": i*100 + k - 1})
			tasks, all = append(tasks, t), append(all, t)
		}
		if err := orchestrator.WhenAll(ctx, all...); err != nil {
			return 0, err
		}
		sum := 0
		for _, t := range tasks {
			v, _ := t.Await()
			sum += v
		}
		// The final step proves every item's result was recorded before it ran.
		return orchestrator.CallActivity[int](ctx, "Inc", map[string]any{
			"Key": ctx.InstanceID() + "/total", "N": sum - 1}).Await()
	}))
	must(rt.RegisterOrchestrator("CrashWait", func(ctx *orchestrator.Context) (string, error) {
		v, err := orchestrator.WaitForExternalEvent[string](ctx, "Go").Await()
		return v + "!", err
	}))
	must(rt.RegisterOrchestrator("CrashTimer", func(ctx *orchestrator.Context, i int) (int, error) {
		if err := ctx.CreateTimer(300 * time.Millisecond).Await(); err != nil {
			return 0, err
		}
		return orchestrator.CallActivity[int](ctx, "Inc", map[string]any{"Key": ctx.InstanceID() + "/after", "N": i}).Await()
	}))
	must(rt.RegisterOrchestrator("CrashSub", func(ctx *orchestrator.Context, i int) (int, error) {
		a := orchestrator.CallSubOrchestrator[int](ctx, "CrashChain", i)
		b := orchestrator.CallSubOrchestrator[int](ctx, "CrashChain", i)
		x, err := a.Await()
		if err != nil {
			return 0, err
		}
		y, err := b.Await()
		return x + y, err
	}))
}

type lineLog struct {
	mu sync.Mutex
	f  *os.File
}

func openLog(path string) *lineLog {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		panic(err)
	}
	return &lineLog{f: f}
}

func (l *lineLog) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.f.WriteString(s + "\n")
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a child process several times")
	}
	dir := t.TempDir()
	const kills = 4
	for run := 1; run <= kills+1; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, "DURABLE_CRASH_RUN="+strconv.Itoa(run))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := bufio.NewScanner(stdout)
		if !ready.Scan() || ready.Text() != "ready" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("run %d: child did not start: %s", run, stderr.String())
		}
		if run <= kills {
			// Kill once this run has executed a random number of activities, so the
			// kill lands mid-flight rather than before or after the work.
			waitForLines(t, filepath.Join(dir, "activities.log"), countLines(filepath.Join(dir, "activities.log"))+5+rand.IntN(20))
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			continue
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("final run failed: %v: %s", err, stderr.String())
			}
		case <-time.After(90 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("final run did not finish: %s", stderr.String())
		}
	}
	checkCrashResults(t, dir)
	checkAtLeastOnce(t, dir, kills)
}

func checkCrashResults(t *testing.T, dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var results map[string]string
	if err := json.Unmarshal(b, &results); err != nil {
		t.Fatal(err)
	}
	for _, in := range crashInstanceIDs() {
		if got := results[in.id]; got != in.want {
			t.Errorf("%s: got %q, want %q", in.id, got, in.want)
		}
	}
	acked := readLines(t, filepath.Join(dir, "acks.log"))
	for line := range acked {
		if id, ok := strings.CutPrefix(line, "start "); ok {
			if _, ok := results[id]; !ok {
				t.Errorf("acknowledged start of %s was lost", id)
			}
		}
	}
}

// checkAtLeastOnce proves activities re-ran only when they were in flight at a kill:
// no activity runs twice within one process run, and no step re-runs in a later run
// than the one where the step that consumes its result first ran. It returns the
// number of re-runs.
func checkAtLeastOnce(t *testing.T, dir string, kills int) int {
	runs := map[string][]int{}
	f, err := os.Open(filepath.Join(dir, "activities.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, runStr, _ := strings.Cut(sc.Text(), " ")
		r, _ := strconv.Atoi(runStr)
		runs[key] = append(runs[key], r)
	}
	reruns := 0
	for key, rs := range runs {
		seen := map[int]bool{}
		for _, r := range rs {
			if seen[r] {
				t.Errorf("%s ran twice in run %d", key, r)
			}
			seen[r] = true
		}
		reruns += len(rs) - 1
		if next := successor(key); next != "" {
			if nr, ok := runs[next]; ok && maxOf(rs) > minOf(nr) {
				t.Errorf("%s re-ran in run %d although %s had already consumed its result in run %d", key, maxOf(rs), next, minOf(nr))
			}
		}
	}
	t.Logf("%d activity executions, %d re-runs after %d kills", len(runs), reruns, kills)
	if reruns > kills*64 {
		t.Errorf("%d re-runs exceed what %d kills with 64 workers could leave in flight", reruns, kills)
	}
	return reruns
}

// successor names the activity that consumes key's result.
func successor(key string) string {
	inst, step, _ := strings.Cut(key, "/")
	if n, err := strconv.Atoi(step); err == nil && n < 4 {
		return fmt.Sprintf("%s/%d", inst, n+1)
	}
	if strings.HasPrefix(step, "item") {
		return inst + "/total"
	}
	return ""
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

// waitForLines polls the log until it holds n lines (or 30 s pass).
func waitForLines(t *testing.T, path string, n int) {
	deadline := time.Now().Add(30 * time.Second)
	for countLines(path) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %d lines", path, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func readLines(t *testing.T, path string) map[string]bool {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		out[l] = true
	}
	return out
}

func maxOf(xs []int) int {
	m := xs[0]
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func minOf(xs []int) int {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}
