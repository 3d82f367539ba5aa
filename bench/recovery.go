package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/orchestrator"
)

func init() { scenarios["recovery"] = recovery }

// recoveryChildEnv makes the bench binary play the process that gets killed.
const recoveryChildEnv = "DURABLE_BENCH_RECOVERY_CHILD"

// recovery puts N instances in flight in a child process (each chain of 5 activities
// is stuck in its first activity), kills the child with SIGKILL, then restarts the
// runtime on the same journal and measures the time to the first activity that runs
// again and to the completion of all N.
func recovery(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	if p.dir == "" {
		return measure.Result{}, fmt.Errorf("recovery needs a durable journal")
	}
	// The runtime handed in is not started yet, so the journal can be released for
	// the child and reopened afterwards.
	if err := rt.Close(); err != nil {
		return measure.Result{}, err
	}
	if err := loadAndKill(p); err != nil {
		return measure.Result{}, err
	}
	var first atomic.Int64
	restart := time.Now()
	rt2, err := durable.Open(durable.Config{Dir: p.dir, IdleTimeout: p.idle})
	if err != nil {
		return measure.Result{}, err
	}
	defer rt2.Close()
	if err := registerRecovery(rt2, func() {
		first.CompareAndSwap(0, int64(time.Since(restart)))
	}); err != nil {
		return measure.Result{}, err
	}
	if err := rt2.Start(); err != nil {
		return measure.Result{}, err
	}
	c := rt2.Client()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	sem := make(chan struct{}, p.inflight)
	for i := 0; i < p.n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			st, err := c.WaitForCompletion(ctx, recoveryID(i))
			if err == nil && st.RuntimeStatus != durable.StatusCompleted {
				err = fmt.Errorf("%s ended %s", recoveryID(i), st.RuntimeStatus)
			}
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(restart)
	select {
	case err := <-errs:
		return measure.Result{}, err
	default:
	}
	firstMS := float64(time.Duration(first.Load()).Microseconds()) / 1000
	fmt.Printf("recovery: first progress after %.1f ms, all %d complete after %.3f s (restart included)\n", firstMS, p.n, elapsed.Seconds())
	return measure.Result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(),
		Unit: "orchestrations", P50: firstMS}, nil
}

func recoveryID(i int) string { return "recovery-" + strconv.Itoa(i) }

// registerRecovery registers the chain; step runs at every activity execution.
func registerRecovery(rt *durable.Runtime, step func()) error {
	if err := rt.RegisterActivity("Step", func(_ context.Context, n int) (int, error) {
		step()
		return n + 1, nil
	}); err != nil {
		return err
	}
	return rt.RegisterOrchestrator("Chain5", func(ctx *orchestrator.Context) (int, error) {
		n := 0
		for i := 0; i < 5; i++ {
			var err error
			if n, err = orchestrator.CallActivity[int](ctx, "Step", n).Await(); err != nil {
				return 0, err
			}
		}
		return n, nil
	})
}

// loadAndKill runs the child until it reports every instance in flight, then kills it.
func loadAndKill(p params) error {
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), recoveryChildEnv+"="+p.dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "in flight" {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	_ = cmd.Wait()
	fmt.Printf("recovery: %d instances in flight, child killed with SIGKILL\n", p.n)
	return nil
}

// recoveryChild starts N chains whose activities never return, reports once every
// start is durable (each chain's first activity is then scheduled: running, or queued
// for a worker), and waits to be killed.
func recoveryChild(p params) error {
	rt, err := durable.Open(durable.Config{Dir: p.dir})
	if err != nil {
		return err
	}
	block := make(chan struct{})
	if err := registerRecovery(rt, func() { <-block }); err != nil {
		return err
	}
	if err := rt.Start(); err != nil {
		return err
	}
	c := rt.Client()
	if _, _, err := runClosedLoop(context.Background(), params{n: p.n, inflight: p.inflight}, func(ctx context.Context, i int) error {
		_, err := c.Start(ctx, "Chain5", nil, durable.WithInstanceID(recoveryID(i)))
		return err
	}); err != nil {
		return err
	}
	fmt.Println("in flight")
	select {}
}
