package durable_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

// Restart scenarios run their steps in child processes (this test binary re-executed)
// on one data directory: a step prints what it has done, one line at a time, and the
// test kills it with SIGKILL or lets it exit, as a real crash or restart would.

const (
	scenarioEnv = "DURABLE_SCENARIO"
	stepEnv     = "DURABLE_SCENARIO_STEP"
	dirEnv      = "DURABLE_SCENARIO_DIR"
)

// scenarios are the child processes' side: given the step, each runs it on rt and
// returns the process's exit code.
var scenarios = map[string]struct {
	register func(rt *durable.Runtime, step int)
	run      func(ctx context.Context, c *durable.Client, step int) int
}{
	"scheduled-signal": {
		register: func(rt *durable.Runtime, _ int) {
			must(rt.RegisterEntity("Account", entities.Typed[Account]()))
		},
		run: func(ctx context.Context, c *durable.Client, step int) int {
			id := entities.ID{Name: "Account", Key: "new"}
			if step == 1 {
				at := time.Now().Add(3 * time.Second)
				if err := c.SignalEntity(ctx, id, "Deposit", 7, durable.SignalAt(at)); err != nil {
					return fail(err)
				}
				fmt.Println("acked")
				select {} // until killed
			}
			for {
				var a Account
				if st, err := c.Entity(ctx, id); err == nil && st.DecodeState(&a) == nil && a.Balance == 7 {
					fmt.Println("balance", a.Balance)
					return 0
				}
				select {
				case <-ctx.Done():
					return fail(fmt.Errorf("the scheduled signal never arrived: %w", ctx.Err()))
				case <-time.After(10 * time.Millisecond):
				}
			}
		},
	},
	"scheduled-start": {
		register: func(rt *durable.Runtime, _ int) {
			must(rt.RegisterOrchestrator("Later", func(ctx *orchestrator.Context, name string) (string, error) {
				return "started " + name, nil
			}))
		},
		run: func(ctx context.Context, c *durable.Client, step int) int {
			const id = "scheduled"
			if step == 1 {
				if _, err := c.Start(ctx, "Later", "after a kill", durable.WithInstanceID(id),
					durable.StartAt(time.Now().Add(time.Second))); err != nil {
					return fail(err)
				}
				fmt.Println("acked")
				select {} // until killed
			}
			st, err := c.WaitForCompletion(ctx, id)
			if err != nil {
				return fail(fmt.Errorf("the scheduled start never came: %w", err))
			}
			fmt.Println(st.RuntimeStatus, string(st.Output))
			return 0
		},
	},
	"reloaded-activity": {
		register: func(rt *durable.Runtime, step int) {
			must(rt.RegisterActivity("Work", func(ctx context.Context) (string, error) {
				fmt.Println("working")
				if step == 2 {
					<-ctx.Done() // killed before it ends
				}
				return "done", nil
			}))
			must(rt.RegisterOrchestrator("WaitThenWork", func(ctx *orchestrator.Context) (string, error) {
				if _, err := orchestrator.WaitForExternalEvent[string](ctx, "Go").Await(); err != nil {
					return "", err
				}
				return orchestrator.CallActivity[string](ctx, "Work", nil).Await()
			}))
		},
		run: func(ctx context.Context, c *durable.Client, step int) int {
			const id = "reloaded"
			switch step {
			case 1:
				if _, err := c.Start(ctx, "WaitThenWork", nil, durable.WithInstanceID(id)); err != nil {
					return fail(err)
				}
				if _, err := c.WaitForStart(ctx, id); err != nil {
					return fail(err)
				}
				return 0 // a clean exit: the instance is reloaded from disk next time
			case 2:
				if err := c.RaiseEvent(ctx, id, "Go", "now"); err != nil {
					return fail(err)
				}
				select {} // until killed while the activity runs
			}
			st, err := c.WaitForCompletion(ctx, id)
			if err != nil {
				return fail(fmt.Errorf("instance never resumed: %w", err))
			}
			fmt.Println(st.RuntimeStatus, string(st.Output))
			return 0
		},
	},
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// scenarioChild runs one step of a scenario in this process and exits.
func scenarioChild(name string) {
	sc := scenarios[name]
	step, _ := strconv.Atoi(os.Getenv(stepEnv))
	rt, err := durable.Open(durable.Config{Dir: os.Getenv(dirEnv)})
	if err != nil {
		os.Exit(fail(err))
	}
	sc.register(rt, step)
	if err := rt.Start(); err != nil {
		os.Exit(fail(err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	code := sc.run(ctx, rt.Client(), step)
	cancel()
	if err := rt.Close(); err != nil && code == 0 {
		code = fail(err)
	}
	os.Exit(code)
}

// step is one child process of a scenario.
type step struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines *bufio.Scanner
	err   strings.Builder
}

func startStep(t *testing.T, dir, scenario string, n int) *step {
	t.Helper()
	s := &step{t: t, cmd: exec.Command(os.Args[0], "-test.run=^$")}
	s.cmd.Env = append(os.Environ(), scenarioEnv+"="+scenario, stepEnv+"="+strconv.Itoa(n), dirEnv+"="+dir)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &s.err
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	s.lines = bufio.NewScanner(out)
	return s
}

// await reads the step's output until a line equals want.
func (s *step) await(want string) {
	s.t.Helper()
	for s.lines.Scan() {
		if s.lines.Text() == want {
			return
		}
	}
	_ = s.cmd.Wait()
	s.t.Fatalf("step ended before printing %q: %s", want, s.err.String())
}

func (s *step) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

// finish waits for the step to exit and returns what it printed.
func (s *step) finish() string {
	s.t.Helper()
	var out []string
	for s.lines.Scan() {
		out = append(out, s.lines.Text())
	}
	if err := s.cmd.Wait(); err != nil {
		s.t.Fatalf("step failed: %v: %s", err, s.err.String())
	}
	return strings.Join(out, "\n")
}

// A signal scheduled for later to an entity without state survives a crash before
// it is due: the entity keeps its storage, and the signal's timer, until it fires.
func TestScheduledSignalToNewEntitySurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process")
	}
	dir := t.TempDir()
	first := startStep(t, dir, "scheduled-signal", 1)
	first.await("acked")
	time.Sleep(200 * time.Millisecond) // the moment of the crash, not a wait for a condition
	first.kill()
	if out := startStep(t, dir, "scheduled-signal", 2).finish(); !strings.Contains(out, "balance 7") {
		t.Fatalf("after the restart: %q", out)
	}
}

// A start scheduled for later survives a kill before it is due.
func TestScheduledStartSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process")
	}
	dir := t.TempDir()
	first := startStep(t, dir, "scheduled-start", 1)
	first.await("acked")
	first.kill()
	out := startStep(t, dir, "scheduled-start", 2).finish()
	if want := "Completed " + mustJSON("started after a kill"); !strings.Contains(out, want) {
		t.Fatalf("after the restart: %q, want %q", out, want)
	}
}

// An instance loaded from disk that schedules an activity marks itself for recovery,
// so a crash while the activity runs is resumed at the next start.
func TestReloadedInstanceResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process")
	}
	dir := t.TempDir()
	startStep(t, dir, "reloaded-activity", 1).finish()
	second := startStep(t, dir, "reloaded-activity", 2)
	second.await("working")
	second.kill()
	out := startStep(t, dir, "reloaded-activity", 3).finish()
	var want = "Completed " + mustJSON("done")
	if !strings.Contains(out, want) {
		t.Fatalf("after the restart: %q, want %q", out, want)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
