package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/orchestrator"
)

func init() { scenarios["idle-scale"] = idleScale }

// idleScale starts N instances that wait for an external event, lets them leave
// memory, reports peak memory and disk per instance, then raises every event and
// reports completions/s. The peak RSS it reports is that of starting and holding the N
// waiting instances, which is what the scenario sizes; completing them all afterwards
// churns through the journal's read path, and that phase's own peak is printed beside.
func idleScale(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	if err := rt.RegisterOrchestrator("AwaitSignal", func(ctx *orchestrator.Context) (string, error) {
		return orchestrator.WaitForExternalEvent[string](ctx, "Go").Await()
	}); err != nil {
		return measure.Result{}, err
	}
	if err := rt.Start(); err != nil {
		return measure.Result{}, err
	}
	c := rt.Client()
	id := func(i int) string { return "idle-" + strconv.Itoa(i) }
	t0 := time.Now()
	if _, _, err := runClosedLoop(ctx, p, func(ctx context.Context, i int) error {
		_, err := c.Start(ctx, "AwaitSignal", nil, durable.WithInstanceID(id(i)))
		return err
	}); err != nil {
		return measure.Result{}, err
	}
	fmt.Printf("idle-scale: %d instances waiting after %.1f s; RSS %.0f MB, peak %.0f MB\n",
		p.n, time.Since(t0).Seconds(), measure.RSSMB(), measure.PeakRSSMB())
	// Idle instances leave memory after the idle timeout; give them that long.
	time.Sleep(p.idle + time.Second)
	runtime.GC()
	debug.FreeOSMemory()
	fmt.Printf("idle-scale: after the idle timeout, RSS %.0f MB\n", measure.RSSMB())
	waitingPeak := measure.PeakRSSMB()
	if p.dir != "" {
		size := dirSize(p.dir)
		fmt.Printf("idle-scale: journal %.1f MB, %.0f bytes per instance\n", float64(size)/1e6, float64(size)/float64(p.n))
	}
	var done atomic.Int64
	stop := measure.Progress(progressEvery(p), p.n, &done)
	start := time.Now()
	_, _, err := runClosedLoop(ctx, params{n: p.n, inflight: p.inflight}, func(ctx context.Context, i int) error {
		if err := c.RaiseEvent(ctx, id(i), "Go", "now"); err != nil {
			return err
		}
		st, err := c.WaitForCompletion(ctx, id(i))
		if err == nil && st.RuntimeStatus != durable.StatusCompleted {
			err = fmt.Errorf("%s ended %s", id(i), st.RuntimeStatus)
		}
		done.Add(1)
		return err
	})
	stop()
	if err != nil {
		return measure.Result{}, err
	}
	elapsed := time.Since(start)
	fmt.Printf("idle-scale: peak RSS %.0f MB while %d instances waited; %.0f MB over the whole run, completions included\n",
		waitingPeak, p.n, measure.PeakRSSMB())
	return measure.Result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(),
		Unit: "orchestrations", PeakRSSMB: waitingPeak}, nil
}

// dirSize returns the disk space the files under dir occupy (allocated blocks, not
// apparent size: Badger preallocates its value log).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512
		} else {
			n += info.Size()
		}
		return nil
	})
	return n
}
