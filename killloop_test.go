package durable_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
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
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
)

// The kill loop runs a few hundred mixed instances in a child process (this test
// binary, re-executed) and kills it with SIGKILL at random moments, K times, then lets
// a last run finish everything. The workload is split into K+1 batches: run r drives
// the first r batches, so every run has new work in flight when it is killed.
//
// The child's driver appends every acknowledgement it receives (an instance started,
// an event raised, an entity signalled) to a ledger, fsync'd before it goes on; it
// logs every activity execution and every completion it observes with the run number.
// After the last run the test checks that
//
//   - every acknowledged start completed with its expected result (0 lost);
//   - no instance completed twice: every observation of its completion, across runs,
//     is the same completion, and its history ends with its only ExecutionCompleted;
//   - every entity counter equals its acknowledged signals (re-sent after a kill with
//     the same idempotency key) or the operations of the completed orchestrations;
//   - transfers between accounts under LockEntities preserve the total, and every
//     balance matches the transfers that reported success;
//   - no activity ran twice within one run, none re-ran after the step consuming its
//     result had run, and a control run without kills re-runs none.
//
// The CI size is 30 kills. The long size: make test-kill-loop KILLS=1000, that is
//
//	go test -race -count=1 -timeout 0 -run 'TestKillLoop$' . -kills 1000
//
// which scales the workload with the kills (-killscale overrides). The test logs its
// seed; -killseed n replays the same kill schedule.
var (
	killLoopKills = flag.Int("kills", 30, "kill loop: SIGKILLs before the last run")
	killLoopSeed  = flag.Uint64("killseed", 0, "kill loop: seed of the kill schedule (0: a fresh one)")
	killLoopScale = flag.Int("killscale", 0, "kill loop: workload multiple (0: one per 30 kills, at least 1)")
)

const (
	killLoopEnv      = "DURABLE_KILLLOOP_CHILD"
	killLoopRunEnv   = "DURABLE_KILLLOOP_RUN"
	killLoopRunsEnv  = "DURABLE_KILLLOOP_RUNS"
	killLoopScaleEnv = "DURABLE_KILLLOOP_SCALE"
	klAccounts       = 6
	klAccountSeed    = 1000
	klCounters       = 8
	klTicks          = 4
)

// klUnit is one step of the driver: an instance to start (and events to raise to it)
// or an entity signal to send.
type klUnit struct {
	id, name string
	input    any
	want     string    // the expected output (JSON); "" when any completion will do
	raises   []klRaise // raised in order once the start is acknowledged
	signal   *klSignal
}

type klRaise struct {
	name string
	data any
}

type klSignal struct {
	entity, key, op string
	amount          int
	idem            string
}

type klLoopState struct{ Iter, Sum int }

type klTransfer struct {
	From, To string
	Amount   int
}

// klPlan is the workload, in the order the driver goes through it.
func klPlan(scale int) []klUnit {
	var seeds []klUnit
	for a := 0; a < klAccounts; a++ {
		seeds = append(seeds, klUnit{signal: &klSignal{"KAccount", fmt.Sprintf("acct-%d", a), "Deposit", klAccountSeed, fmt.Sprintf("seed-%d", a)}})
	}
	var kinds [][]klUnit
	add := func(n int, f func(i int) klUnit) {
		var us []klUnit
		for i := 0; i < n*scale; i++ {
			us = append(us, f(i))
		}
		kinds = append(kinds, us)
	}
	add(60, func(i int) klUnit {
		return klUnit{id: fmt.Sprintf("chain-%d", i), name: "KChain", input: i, want: strconv.Itoa(i + 5)}
	})
	add(12, func(i int) klUnit {
		sum := 0
		for k := 0; k < 5; k++ {
			sum += i*100 + k
		}
		return klUnit{id: fmt.Sprintf("fan-%d", i), name: "KFan", input: i, want: strconv.Itoa(sum)}
	})
	add(24, func(i int) klUnit {
		return klUnit{id: fmt.Sprintf("timer-%d", i), name: "KTimer", input: i, want: strconv.Itoa(i + 1)}
	})
	add(30, func(i int) klUnit {
		ev := fmt.Sprintf("ev-%d", i)
		return klUnit{id: fmt.Sprintf("wait-%d", i), name: "KWait", want: mustJSON(ev + "!"), raises: []klRaise{{"Go", ev}}}
	})
	add(12, func(i int) klUnit {
		return klUnit{id: fmt.Sprintf("parent-%d", i), name: "KParent", input: i, want: strconv.Itoa(2 * (i + 5))}
	})
	add(16, func(i int) klUnit {
		var rs []klRaise
		for k := 0; k < klTicks; k++ {
			rs = append(rs, klRaise{"Tick", k})
		}
		return klUnit{id: fmt.Sprintf("loop-%d", i), name: "KLoop", input: klLoopState{Sum: i}, want: strconv.Itoa(i + klTicks), raises: rs}
	})
	add(30, func(i int) klUnit {
		from := i % klAccounts
		to := (from + 1 + i%(klAccounts-1)) % klAccounts
		tr := klTransfer{fmt.Sprintf("acct-%d", from), fmt.Sprintf("acct-%d", to), 100 + 37*i%400}
		return klUnit{id: fmt.Sprintf("transfer-%d", i), name: "KTransfer", input: tr}
	})
	add(16, func(i int) klUnit {
		return klUnit{id: fmt.Sprintf("caller-%d", i), name: "KCaller", input: fmt.Sprintf("call-%d", i%4)}
	})
	add(12, func(i int) klUnit {
		return klUnit{id: fmt.Sprintf("signaler-%d", i), name: "KSignaler", input: fmt.Sprintf("orch-%d", i%4), want: mustJSON("ok")}
	})
	add(160, func(i int) klUnit {
		return klUnit{signal: &klSignal{"KCounter", fmt.Sprintf("sig-%d", i%klCounters), "add", 1, fmt.Sprintf("sig-%d", i)}}
	})
	// Interleave the kinds so that every batch holds a mix.
	out := seeds
	for i := 0; ; i++ {
		added := false
		for _, us := range kinds {
			if i < len(us) {
				out, added = append(out, us[i]), true
			}
		}
		if !added {
			return out
		}
	}
}

func registerKillLoopWorkload(rt *durable.Runtime, record func(key string)) {
	must(rt.RegisterEntity("KCounter", counterFn))
	must(rt.RegisterEntity("KAccount", entities.Typed[Account]()))
	must(rt.RegisterActivity("KInc", func(_ context.Context, in struct {
		Key string
		N   int
	}) (int, error) {
		record(in.Key)
		time.Sleep(time.Duration(2+rand.IntN(10)) * time.Millisecond)
		return in.N + 1, nil
	}))
	inc := func(ctx *orchestrator.Context, key string, n int) *orchestrator.Task[int] {
		return orchestrator.CallActivity[int](ctx, "KInc", map[string]any{"Key": ctx.InstanceID() + "/" + key, "N": n})
	}
	must(rt.RegisterOrchestrator("KChain", func(ctx *orchestrator.Context, n int) (int, error) {
		for step := 0; step < 5; step++ {
			var err error
			if n, err = inc(ctx, strconv.Itoa(step), n).Await(); err != nil {
				return 0, err
			}
		}
		return n, nil
	}))
	must(rt.RegisterOrchestrator("KFan", func(ctx *orchestrator.Context, i int) (int, error) {
		var tasks []*orchestrator.Task[int]
		var all []orchestrator.Awaitable
		for k := 0; k < 5; k++ {
			t := inc(ctx, fmt.Sprintf("item%d", k), i*100+k-1)
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
		return inc(ctx, "total", sum-1).Await()
	}))
	must(rt.RegisterOrchestrator("KTimer", func(ctx *orchestrator.Context, i int) (int, error) {
		if err := ctx.CreateTimer(time.Duration(100+100*(i%5)) * time.Millisecond).Await(); err != nil {
			return 0, err
		}
		return inc(ctx, "after", i).Await()
	}))
	must(rt.RegisterOrchestrator("KWait", func(ctx *orchestrator.Context) (string, error) {
		v, err := orchestrator.WaitForExternalEvent[string](ctx, "Go").Await()
		return v + "!", err
	}))
	must(rt.RegisterOrchestrator("KParent", func(ctx *orchestrator.Context, i int) (int, error) {
		a := orchestrator.CallSubOrchestrator[int](ctx, "KChain", i)
		b := orchestrator.CallSubOrchestrator[int](ctx, "KChain", i)
		x, err := a.Await()
		if err != nil {
			return 0, err
		}
		y, err := b.Await()
		return x + y, err
	}))
	// KLoop continues as new once per tick: it waits for the tick of its iteration
	// (skipping ticks re-raised after a kill, which carry over), runs an activity and
	// a timer.
	must(rt.RegisterOrchestrator("KLoop", func(ctx *orchestrator.Context, s klLoopState) (int, error) {
		for {
			k, err := orchestrator.WaitForExternalEvent[int](ctx, "Tick").Await()
			if err != nil {
				return 0, err
			}
			if k == s.Iter {
				break
			}
		}
		sum, err := inc(ctx, fmt.Sprintf("iter%d", s.Iter), s.Sum).Await()
		if err != nil {
			return 0, err
		}
		if err := ctx.CreateTimer(20 * time.Millisecond).Await(); err != nil {
			return 0, err
		}
		if s.Iter+1 == klTicks {
			return sum, nil
		}
		return 0, ctx.ContinueAsNew(klLoopState{Iter: s.Iter + 1, Sum: sum})
	}))
	must(rt.RegisterOrchestrator("KTransfer", func(ctx *orchestrator.Context, t klTransfer) (bool, error) {
		from, to := entities.ID{Name: "KAccount", Key: t.From}, entities.ID{Name: "KAccount", Key: t.To}
		cs, err := orchestrator.LockEntities(ctx, from, to)
		if err != nil {
			return false, err
		}
		defer cs.Release()
		balance, err := orchestrator.CallEntity[int](ctx, from, "Get", nil).Await()
		if err != nil || balance < t.Amount {
			return false, err
		}
		if _, err := orchestrator.CallEntity[struct{}](ctx, from, "Withdraw", t.Amount).Await(); err != nil {
			return false, err
		}
		if _, err := orchestrator.CallEntity[struct{}](ctx, to, "Deposit", t.Amount).Await(); err != nil {
			return false, err
		}
		return true, nil
	}))
	must(rt.RegisterOrchestrator("KCaller", func(ctx *orchestrator.Context, key string) (int, error) {
		id := entities.ID{Name: "KCounter", Key: key}
		for i := 0; i < 3; i++ {
			if _, err := orchestrator.CallEntity[struct{}](ctx, id, "add", 1).Await(); err != nil {
				return 0, err
			}
		}
		return orchestrator.CallEntity[int](ctx, id, "get", nil).Await()
	}))
	must(rt.RegisterOrchestrator("KSignaler", func(ctx *orchestrator.Context, key string) (string, error) {
		for i := 0; i < 2; i++ {
			if err := ctx.SignalEntity(entities.ID{Name: "KCounter", Key: key}, "add", 1); err != nil {
				return "", err
			}
		}
		return "ok", nil
	}))
}

// klLedger is the driver's record of acknowledgements, fsync'd line by line.
type klLedger struct {
	f    *os.File
	seen map[string]bool
}

func (l *klLedger) ack(line string) {
	if _, err := l.f.WriteString(line + "\n"); err != nil {
		klDie("ledger", err)
	}
	if err := l.f.Sync(); err != nil {
		klDie("ledger sync", err)
	}
	l.seen[line] = true
}

func klDie(what string, err error) {
	fmt.Fprintln(os.Stderr, what+":", err)
	os.Exit(2)
}

// klResult is what the last run reports about one instance.
type klResult struct {
	Status    string
	Output    string
	Updated   int64
	Completed int    // ExecutionCompleted events in the history
	Last      string // the history's last event
}

type klResults struct {
	Instances map[string]klResult
	Entities  map[string]int // "name/key" to state
}

func killLoopChild() {
	dir := os.Getenv(killLoopEnv)
	run, _ := strconv.Atoi(os.Getenv(killLoopRunEnv))
	runs, _ := strconv.Atoi(os.Getenv(killLoopRunsEnv))
	scale, _ := strconv.Atoi(os.Getenv(killLoopScaleEnv))
	rt, err := durable.Open(durable.Config{Dir: filepath.Join(dir, "data"), IdleTimeout: time.Second})
	if err != nil {
		klDie("open", err)
	}
	acts := openLog(filepath.Join(dir, "activities.log"))
	dones := openLog(filepath.Join(dir, "completions.log"))
	registerKillLoopWorkload(rt, func(key string) { acts.line(key + " " + strconv.Itoa(run)) })
	ledgerPath := filepath.Join(dir, "ledger.log")
	seen := map[string]bool{}
	if b, err := os.ReadFile(ledgerPath); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			seen[l] = true
		}
	}
	lf, err := os.OpenFile(ledgerPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		klDie("ledger", err)
	}
	ledger := &klLedger{f: lf, seen: seen}
	observed := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(dir, "completions.log")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 1 {
				observed[f[1]] = true
			}
		}
	}
	if err := rt.Start(); err != nil {
		klDie("start runtime", err)
	}
	fmt.Println("ready")
	c, ctx := rt.Client(), context.Background()
	plan := klPlan(scale)
	plan = plan[:len(plan)*run/runs]
	var watchers sync.WaitGroup
	watch := func(id string) {
		if observed[id] {
			return
		}
		watchers.Go(func() {
			st, err := c.WaitForCompletion(ctx, id)
			if err != nil {
				klDie("wait", err)
			}
			dones.line(fmt.Sprintf("done %s %d %d %s %s", id, run, st.LastUpdatedAt.UnixNano(), st.RuntimeStatus, st.Output))
		})
	}
	for _, u := range plan {
		if s := u.signal; s != nil {
			line := fmt.Sprintf("signal %s %s/%s %d", s.idem, s.entity, s.key, s.amount)
			if ledger.seen[line] {
				continue
			}
			if err := c.SignalEntity(ctx, entities.ID{Name: s.entity, Key: s.key}, s.op, s.amount, durable.WithIdempotencyKey(s.idem)); err != nil {
				klDie("signal", err)
			}
			ledger.ack(line)
			continue
		}
		if line := "start " + u.id; !ledger.seen[line] {
			// Starting a finished instance again would replace it: an instance that
			// exists was started by a run killed before it wrote the ledger.
			if _, err := c.Status(ctx, u.id); err != nil {
				if !errors.Is(err, durable.ErrInstanceNotFound) {
					klDie("status", err)
				}
				if _, err := c.Start(ctx, u.name, u.input, durable.WithInstanceID(u.id)); err != nil {
					klDie("start", err)
				}
			}
			ledger.ack(line)
		}
		watch(u.id)
		for k, r := range u.raises {
			line := fmt.Sprintf("raise %s %d", u.id, k)
			if ledger.seen[line] {
				continue
			}
			if err := c.RaiseEvent(ctx, u.id, r.name, r.data); err != nil && !errors.Is(err, durable.ErrInstanceFinished) {
				klDie("raise", err)
			}
			ledger.ack(line)
		}
	}
	if run < runs {
		select {} // until killed
	}
	watchers.Wait()
	res := klResults{Instances: map[string]klResult{}, Entities: map[string]int{}}
	for _, u := range plan {
		if s := u.signal; s != nil {
			res.Entities[s.entity+"/"+s.key] = 0
			continue
		}
		st, err := c.Status(ctx, u.id, durable.WithHistory())
		if err != nil {
			klDie("status", err)
		}
		r := klResult{Status: st.RuntimeStatus.String(), Output: string(st.Output), Updated: st.LastUpdatedAt.UnixNano()}
		for _, e := range st.History {
			if e.Type == history.EventExecutionCompleted {
				r.Completed++
			}
		}
		if n := len(st.History); n > 0 {
			r.Last = st.History[n-1].Type.String()
		}
		res.Instances[u.id] = r
		switch u.name {
		case "KCaller", "KSignaler":
			res.Entities["KCounter/"+u.input.(string)] = 0
		}
	}
	for name := range res.Entities {
		ent, key, _ := strings.Cut(name, "/")
		st, err := c.Entity(ctx, entities.ID{Name: ent, Key: key})
		if err != nil {
			klDie("entity "+name, err)
		}
		var n int
		if ent == "KAccount" {
			var a Account
			err, n = st.DecodeState(&a), a.Balance
		} else {
			err = st.DecodeState(&n)
		}
		if err != nil {
			klDie("entity state "+name, err)
		}
		res.Entities[name] = n
	}
	b, _ := json.Marshal(res)
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		klDie("results", err)
	}
	_ = rt.Close()
	os.Exit(0)
}

func TestKillLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a child process many times")
	}
	seed := *killLoopSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	scale := *killLoopScale
	if scale == 0 {
		scale = max(1, *killLoopKills/30)
	}
	t.Logf("seed %d (-killseed %d replays the kill schedule), %d kills, scale %d", seed, seed, *killLoopKills, scale)
	runKillLoop(t, *killLoopKills, scale, seed)
}

// With no kills, nothing runs twice: the re-runs of TestKillLoop are the kills' doing.
func TestKillLoopControlWithoutKills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	if reruns := runKillLoop(t, 0, 1, 1); reruns != 0 {
		t.Errorf("%d activities re-ran in a run without kills", reruns)
	}
}

// runKillLoop runs the workload with kills and returns how many activities re-ran.
func runKillLoop(t *testing.T, kills, scale int, seed uint64) int {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	begin := time.Now()
	runs := kills + 1
	for run := 1; run <= runs; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killLoopEnv+"="+dir, killLoopRunEnv+"="+strconv.Itoa(run),
			killLoopRunsEnv+"="+strconv.Itoa(runs), killLoopScaleEnv+"="+strconv.Itoa(scale))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
			}
			done <- cmd.Wait()
		}()
		if run < runs {
			// The kill's moment: a random time after the process started, recovery
			// and the driver's new batch included.
			select {
			case err := <-done:
				t.Fatalf("run %d ended before its kill: %v: %s%s", run, err, stderr.String(), keepKillLoopDir(dir, seed, run))
			case <-time.After(time.Duration(100+rng.IntN(1400)) * time.Millisecond):
			}
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
			continue
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("last run failed: %v: %s%s", err, stderr.String(), keepKillLoopDir(dir, seed, run))
			}
		case <-time.After(120 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("last run did not finish: %s", stderr.String())
		}
	}
	reruns := checkKillLoop(t, dir, kills, scale)
	t.Logf("%d kills in %v", kills, time.Since(begin).Round(time.Millisecond))
	return reruns
}

// keepKillLoopDir copies the data and logs of a failed loop where the test's cleanup
// leaves them, and says where.
func keepKillLoopDir(dir string, seed uint64, run int) string {
	to := filepath.Join(os.TempDir(), fmt.Sprintf("killloop-%d-run%d", seed, run))
	if err := os.CopyFS(to, os.DirFS(dir)); err != nil {
		return fmt.Sprintf(" (copying %s to %s: %v)", dir, to, err)
	}
	return " (data and logs kept in " + to + ")"
}

func checkKillLoop(t *testing.T, dir string, kills, scale int) int {
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res klResults
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	ledger := readLines(t, filepath.Join(dir, "ledger.log"))
	plan := klPlan(scale)

	// 0 lost: every acknowledged start completed, with the result it should have.
	wantEntities := map[string]int{}
	balances := map[string]int{}
	instances, signals := 0, 0
	for _, u := range plan {
		if s := u.signal; s != nil {
			if !ledger[fmt.Sprintf("signal %s %s/%s %d", s.idem, s.entity, s.key, s.amount)] {
				t.Errorf("signal %s was never acknowledged", s.idem)
				continue
			}
			signals++
			if s.entity == "KAccount" {
				balances[s.key] += s.amount
			} else {
				wantEntities["KCounter/"+s.key] += s.amount
			}
			continue
		}
		instances++
		if !ledger["start "+u.id] {
			t.Errorf("start of %s was never acknowledged", u.id)
			continue
		}
		r, ok := res.Instances[u.id]
		switch {
		case !ok:
			t.Errorf("acknowledged start of %s was lost", u.id)
			continue
		case r.Status != "Completed" || (u.want != "" && r.Output != u.want):
			t.Errorf("%s: %s %s, want Completed %s", u.id, r.Status, r.Output, u.want)
			continue
		case r.Completed != 1 || r.Last != "ExecutionCompleted":
			t.Errorf("%s: %d completions in its history, which ends with %s", u.id, r.Completed, r.Last)
		}
		switch u.name {
		case "KTransfer":
			tr := u.input.(klTransfer)
			if r.Output == "true" {
				balances[tr.From] -= tr.Amount
				balances[tr.To] += tr.Amount
			}
		case "KCaller":
			wantEntities["KCounter/"+u.input.(string)] += 3
		case "KSignaler":
			wantEntities["KCounter/"+u.input.(string)] += 2
		}
	}
	for name, want := range wantEntities {
		if got := res.Entities[name]; got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	total := 0
	for key, want := range balances {
		got := res.Entities["KAccount/"+key]
		total += got
		if got != want {
			t.Errorf("KAccount/%s = %d, want %d from its seed and successful transfers", key, got, want)
		}
	}
	if total != klAccounts*klAccountSeed {
		t.Errorf("accounts hold %d in total, want %d", total, klAccounts*klAccountSeed)
	}

	// 0 duplicate completions: every observation, in any run, saw the one completion.
	seenDone := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "completions.log")))), "\n") {
		f := strings.SplitN(l, " ", 6)
		if len(f) < 6 {
			t.Errorf("completion line %q", l)
			continue
		}
		id, updated, status, output := f[1], f[3], f[4], f[5]
		seenDone[id] = true
		r := res.Instances[id]
		if updated != strconv.FormatInt(r.Updated, 10) || status != r.Status || output != r.Output {
			t.Errorf("%s completed more than once: run %s saw %s %s at %s, the end %s %s at %d", id, f[2], status, output, updated, r.Status, r.Output, r.Updated)
		}
	}
	for id := range res.Instances {
		if !seenDone[id] {
			t.Errorf("%s: its completion was never observed", id)
		}
	}

	reruns := checkAtLeastOnce(t, dir, kills)
	busy := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "activities.log")))), "\n") {
		_, run, _ := strings.Cut(l, " ")
		busy[run] = true
	}
	t.Logf("%d top-level instances, %d acknowledged signals, %d ledger lines, %d activity re-runs; activities ran in %d of %d runs",
		instances, signals, len(ledger), reruns, len(busy), kills+1)
	return reruns
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
