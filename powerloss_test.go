package durable_test

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godurable/durable/internal/powerfs"
)

// The power-loss test is the kill loop (killloop_test.go) with the journal on a file
// system that loses what was not synced: internal/powerfs, served over FUSE by this
// test process. At each cut the power goes first (everything the journal wrote but did
// not sync is dropped, and its file system answers EIO from then on), then the child
// is killed; the disk is mounted again and the next run opens the journal on what
// survived. The ledger of acknowledgements and the test's own logs stay on the real
// disk. After the last run every check of the kill loop applies: 0 acknowledged
// instances lost or regressed, no duplicate completion, entity counters equal to
// their acknowledged signals, and a journal that opened after every cut (a run that
// fails to open it fails the test).
//
// The CI size is 5 cuts. The long size: make test-power-loss CUTS=200, that is
//
//	go test -race -count=1 -timeout 0 -run 'TestPowerLoss$' . -cuts 200
//
// The test logs its seed; -powerseed n replays the same cut schedule. -powerstrict
// holds names to the strict reading of POSIX (see internal/powerfs). FUSE needs
// /dev/fuse and root; without them the test skips, unless DURABLE_REQUIRE_FUSE=1.
var (
	powerCuts   = flag.Int("cuts", 5, "power loss: power cuts before the last run")
	powerSeed   = flag.Uint64("powerseed", 0, "power loss: seed of the cut schedule (0: a fresh one)")
	powerStrict = flag.Bool("powerstrict", false, "power loss: names durable only with their directory's fsync (Badger fails this; see docs/reliability.md)")
)

func TestPowerLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("cuts the power under a child process several times")
	}
	seed := *powerSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	cuts := *powerCuts
	scale := max(1, cuts/30)
	t.Logf("seed %d, %d cuts, scale %d; replay: go test -race -count=1 -timeout 0 -run 'TestPowerLoss$' . -cuts %d -powerseed %d -powerstrict=%t",
		seed, cuts, scale, cuts, seed, *powerStrict)
	begin := time.Now()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	dir, err := powerLoop(t, powerfs.Options{StrictNames: *powerStrict}, cuts, scale, 120*time.Second, func(*exec.Cmd, string) <-chan time.Time {
		// A random moment after the process started: recovery and the driver's new
		// batch included.
		return time.After(time.Duration(100+rng.IntN(1400)) * time.Millisecond)
	})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	checkKillLoop(t, dir, cuts, scale)
	t.Logf("%d cuts in %v", cuts, time.Since(begin).Round(time.Millisecond))
}

// On a disk whose fsync makes nothing durable, acknowledged work is lost at the first
// cut, and the loop notices: the test above would fail on a journal that acknowledged
// before it synced.
func TestPowerLossCatchesLyingSync(t *testing.T) {
	if testing.Short() {
		t.Skip("cuts the power under a child process")
	}
	// The last run waits for instances the journal no longer has; it cannot finish.
	_, err := powerLoop(t, powerfs.Options{IgnoreSync: true}, 1, 1, 10*time.Second, func(_ *exec.Cmd, ledger string) <-chan time.Time {
		// Cut once the driver has acknowledged some work, so that there is some to lose.
		waitForLines(t, ledger, 20)
		return time.After(0)
	})
	if err == nil {
		t.Fatal("a disk that ignores fsync lost nothing acknowledged")
	}
	t.Logf("caught: %v", err)
}

// powerLoop runs the kill loop's workload on a powerfs disk, cutting the power cuts
// times, each at the moment cutAt returns (given the running child and the ledger's
// path), then lets a last run finish within last. It returns the loop's directory for
// checkKillLoop, or what went wrong with a run.
func powerLoop(t *testing.T, opts powerfs.Options, cuts, scale int, last time.Duration, cutAt func(*exec.Cmd, string) <-chan time.Time) (string, error) {
	dir, mnt := t.TempDir(), t.TempDir()
	disk := powerfs.NewDisk(opts)
	if err := os.Symlink(mnt, filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	runs := cuts + 1
	for run := 1; run <= runs; run++ {
		m := powerfs.MountT(t, disk, mnt)
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
			select {
			case err := <-done:
				return dir, fmt.Errorf("run %d ended before its cut: %v: %s", run, err, stderr.String())
			case <-cutAt(cmd, filepath.Join(dir, "ledger.log")):
			}
			m.Cut()
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		select {
		case err := <-done:
			if err != nil {
				return dir, fmt.Errorf("last run failed: %v: %s", err, stderr.String())
			}
		case <-time.After(last):
			_ = cmd.Process.Kill()
			<-done
			return dir, errors.New("last run did not finish: " + stderr.String())
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir, nil
}
