package badgerjournal_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// While the disk is too full, appends are refused as unavailable, reads go on, and
// appends are taken again once space returns.
func TestFullDiskRefusesAppendsUntilSpaceReturns(t *testing.T) {
	j := open(t, badgerjournal.Config{Dir: t.TempDir()})
	var free atomic.Int64
	free.Store(1 << 40)
	j.SetFreeSpace(func(string) (int64, error) { return free.Load(), nil })
	ctx := context.Background()
	if err := persistence.AppendSync(ctx, j, runningInstance("before")); err != nil {
		t.Fatal(err)
	}
	free.Store(j.MinFreeBytes() - 1)
	refusedAppend(t, j)
	free.Store(1 << 40)
	waitUntil(t, func() bool { return persistence.AppendSync(ctx, j, runningInstance("after")) == nil })
}

// refusedAppend appends new instances until one is refused, which must be for want of
// space, and must leave nothing behind.
func refusedAppend(t *testing.T, j *badgerjournal.Journal) {
	t.Helper()
	ctx := context.Background()
	var err error
	var id string
	for i := 0; err == nil; i++ {
		id = fmt.Sprintf("during-%d", i)
		err = persistence.AppendSync(ctx, j, runningInstance(id))
	}
	if !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("append on a full disk: %v", err)
	}
	if _, err := j.Get(ctx, id, false); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("a refused append left %v", err)
	}
	if _, err := j.Get(ctx, "before", true); err != nil {
		t.Fatalf("read while full: %v", err)
	}
}

// The same on a real file system that fills up: a small tmpfs (root only).
func TestFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	j, err := badgerjournal.Open(badgerjournal.Config{Dir: filepath.Join(dir, "db"), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	if err := persistence.AppendSync(ctx, j, runningInstance("before")); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	// Leave less than the journal's minimum free.
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
		if freeOf(t, dir) < j.MinFreeBytes()-int64(len(chunk)) {
			break
		}
	}
	f.Close()
	refusedAppend(t, j)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { return persistence.AppendSync(ctx, j, runningInstance("after")) == nil })
}

func freeOf(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// waitUntil polls cond: the journal looks at the free space at intervals of its own.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
