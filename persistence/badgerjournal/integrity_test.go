package badgerjournal_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// writerEnv makes the test binary a child that appends instances to the directory it
// names for a while and then exits without closing the journal, as a crash would.
const writerEnv = "BADGERJOURNAL_WRITER_DIR"

func crashedWriter(dir string) {
	j, err := badgerjournal.Open(badgerjournal.Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Enough appends to fill a good part of the log, and long enough for the watermark
	// to follow the commits several times, however busy the machine.
	for i, deadline := 0, time.Now().Add(600*time.Millisecond); i < 2000 || time.Now().Before(deadline); i++ {
		if err := persistence.AppendSync(context.Background(), j, runningInstance(fmt.Sprintf("crash-%05d", i))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	os.Exit(0)
}

func runningInstance(id string) *persistence.Batch {
	return &persistence.Batch{
		InstanceID: id,
		Instance:   &persistence.Instance{ID: id, Name: "n", Status: history.StatusRunning, CreatedAt: time.Unix(1, 0)},
		SetInput:   []byte(`"` + strings.Repeat("x", 200) + `"`),
		Events:     []history.Event{{Type: history.EventExecutionStarted, Name: "n"}},
	}
}

// filled writes n instances to a new journal in dir over several sessions, so the
// directory holds tables as well as logs, and closes it.
func filled(t *testing.T, dir string, sessions, n int) {
	t.Helper()
	for s := 0; s < sessions; s++ {
		j, err := badgerjournal.Open(badgerjournal.Config{Dir: dir, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := persistence.AppendSync(context.Background(), j, runningInstance(fmt.Sprintf("s%d-%05d", s, i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func files(t *testing.T, dir, suffix string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

func refused(t *testing.T, dir string) error {
	t.Helper()
	j, err := badgerjournal.Open(badgerjournal.Config{Dir: dir, Logger: testLogger(t)})
	if err == nil {
		_ = j.Close()
		t.Fatal("a damaged directory opened")
	}
	if !errors.Is(err, badgerjournal.ErrDamaged) {
		t.Fatalf("refused, but not as damaged: %v", err)
	}
	return err
}

func TestMissingManifestIsRefused(t *testing.T) {
	dir := t.TempDir()
	filled(t, dir, 2, 50)
	tables := files(t, dir, ".sst")
	if len(tables) == 0 {
		t.Fatal("no tables were written")
	}
	if err := os.Remove(filepath.Join(dir, "MANIFEST")); err != nil {
		t.Fatal(err)
	}
	err := refused(t, dir)
	if !strings.Contains(err.Error(), "no MANIFEST") {
		t.Fatalf("message does not say what is wrong: %v", err)
	}
	if got := files(t, dir, ".sst"); !slices.Equal(got, tables) {
		t.Fatalf("tables changed by the refused open: %v, were %v", got, tables)
	}
}

func TestTruncatedManifestIsRefused(t *testing.T) {
	for _, cut := range []string{"empty", "half", "last byte"} {
		t.Run(cut, func(t *testing.T) {
			dir := t.TempDir()
			filled(t, dir, 3, 50)
			path := filepath.Join(dir, "MANIFEST")
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			size := map[string]int64{"empty": 0, "half": st.Size() / 2, "last byte": st.Size() - 1}[cut]
			if err := os.Truncate(path, size); err != nil {
				t.Fatal(err)
			}
			refused(t, dir)
		})
	}
}

// A write-ahead log damaged in the middle would be replayed up to the damage; the
// watermark shows that durable commits came after it.
func TestDamagedLogIsRefused(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), writerEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("writer: %v: %s", err, out)
	}
	logs := files(t, dir, ".mem")
	if len(logs) == 0 {
		t.Fatal("the writer left no write-ahead log")
	}
	flip64(t, logs[0], func(b []byte) int {
		end := len(b) // the log is preallocated: its data ends where the zeros begin
		for end > 0 && b[end-1] == 0 {
			end--
		}
		if end < 1<<16 {
			t.Fatalf("the log holds only %d bytes", end)
		}
		return end / 2
	})
	err := refused(t, dir)
	if !strings.Contains(err.Error(), "had been durable") {
		t.Fatalf("message does not say what is wrong: %v", err)
	}
}

// A table with damaged blocks is reported, never read as if its instances were absent.
func TestDamagedTableIsReported(t *testing.T) {
	dir := t.TempDir()
	filled(t, dir, 1, 300)
	tables := files(t, dir, ".sst")
	if len(tables) == 0 {
		t.Fatal("no tables were written")
	}
	flip64(t, tables[0], func(b []byte) int { return len(b) / 3 })
	j, err := badgerjournal.Open(badgerjournal.Config{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		if !errors.Is(err, badgerjournal.ErrDamaged) || !strings.Contains(err.Error(), filepath.Base(tables[0])) {
			t.Fatalf("refused without naming the damaged table: %v", err)
		}
		return
	}
	defer j.Close()
	for i := 0; i < 300; i++ {
		id := fmt.Sprintf("s0-%05d", i)
		if _, err := j.Get(context.Background(), id, true); errors.Is(err, persistence.ErrNotFound) {
			t.Fatalf("%s reads as absent instead of damaged", id)
		}
	}
}

// flip64 inverts 64 bytes of the file at path, from the offset at picks.
func flip64(t *testing.T, path string, at func([]byte) int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, from := 0, at(b); i < 64; i++ {
		b[from+i] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Tables a compaction replaced, left behind by a crash before their files were
// removed (one already emptied), are what a kill leaves in the ordinary course: the
// journal opens, and every instance reads.
func TestCompactionLeftoversAreNotDamage(t *testing.T) {
	dir := t.TempDir()
	filled(t, dir, 8, 50)
	keep := t.TempDir()
	before := files(t, dir, ".sst")
	for _, f := range before {
		if err := os.Link(f, filepath.Join(keep, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	j, err := badgerjournal.Open(badgerjournal.Config{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	// Eight tables on level 0, past Badger's five: Flatten compacts them into one level.
	if err := j.DB().Flatten(1); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	after := files(t, dir, ".sst")
	put := 0
	for _, f := range before {
		if slices.Contains(after, f) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(keep, filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if put == 0 {
			b = nil // removal had begun
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		put++
	}
	if put == 0 {
		t.Fatal("the compaction replaced no table")
	}
	j = open(t, badgerjournal.Config{Dir: dir})
	for s := 0; s < 8; s++ {
		for i := 0; i < 50; i++ {
			if _, err := j.Get(context.Background(), fmt.Sprintf("s%d-%05d", s, i), true); err != nil {
				t.Fatalf("after reopening: %v", err)
			}
		}
	}
}

// TestEmptyLogsOpen: a kill while Badger rotates its value log or a memtable leaves
// the next log created and empty, which Badger alone refuses to open. The journal
// opens, with everything it held.
func TestEmptyLogsOpen(t *testing.T) {
	dir := t.TempDir()
	filled(t, dir, 2, 50)
	logs := files(t, dir, ".vlog")
	if len(logs) == 0 {
		t.Fatal("no value log to follow")
	}
	var last int
	if _, err := fmt.Sscanf(filepath.Base(logs[len(logs)-1]), "%06d.vlog", &last); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{fmt.Sprintf("%06d.vlog", last+1), fmt.Sprintf("%05d.mem", 90)} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j, err := badgerjournal.Open(badgerjournal.Config{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("open beside an empty value log: %v", err)
	}
	defer j.Close()
	for _, id := range []string{"s0-00000", "s1-00049"} {
		if _, err := j.Get(t.Context(), id, true); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}
