package actors

import (
	"bufio"
	"context"
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

	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// The entity crash test streams signals to a counter from a child process (this test
// binary re-executed), kills it with SIGKILL at random moments and restarts it on the
// same data directory. The child logs "sent k" before and "ack k" after each signal;
// a restarted child sends again, under the same idempotency key, every signal it sent
// without hearing back. At the end the counter must equal the number of signals
// acknowledged: none lost, none applied twice.

const (
	entityCrashEnv     = "DURABLE_ENTITY_CRASH_CHILD"
	entityCrashSignals = 3000
	entityCrashWorkers = 16
)

var crashCounter = entities.ID{Name: "Counter", Key: "crash"}

func addFn(ctx *entities.Context) error {
	var n, d int
	if err := ctx.GetState(&n); err != nil {
		return err
	}
	if err := ctx.Input(&d); err != nil {
		return err
	}
	return ctx.SetState(n + d)
}

func entityCrashChild(dir string) {
	j, err := badgerjournal.Open(badgerjournal.Config{Dir: filepath.Join(dir, "data")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	reg := NewRegistry()
	reg.AddEntity("Counter", addFn)
	h, err := Start(Config{Journal: j, Registry: reg})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sent, acked := readSignalLog(filepath.Join(dir, "signals.log"))
	logf, err := os.OpenFile(filepath.Join(dir, "signals.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		os.Exit(2)
	}
	var mu sync.Mutex
	line := func(s string) {
		mu.Lock()
		_, _ = logf.WriteString(s + "\n")
		mu.Unlock()
	}
	keys := make(chan int, entityCrashSignals)
	next := 0
	for k := range sent {
		if !acked[k] {
			keys <- k // sent before the kill, never acknowledged: send again
		}
		next = max(next, k+1)
	}
	for k := next; k < entityCrashSignals; k++ {
		keys <- k
	}
	close(keys)
	fmt.Println("ready")
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < entityCrashWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				line(fmt.Sprint("sent ", k))
				if err := h.SignalEntity(ctx, crashCounter, "add", []byte("1"), SignalOptions{IdempotencyKey: strconv.Itoa(k)}); err != nil {
					fmt.Fprintln(os.Stderr, "signal:", err)
					os.Exit(2)
				}
				line(fmt.Sprint("ack ", k))
			}
		}()
	}
	wg.Wait()
	info, err := h.EntityState(ctx, crashCounter)
	if err != nil {
		fmt.Fprintln(os.Stderr, "read:", err)
		os.Exit(2)
	}
	_ = os.WriteFile(filepath.Join(dir, "counter"), info.State, 0o644)
	h.Close(ctx)
	_ = j.Close()
	os.Exit(0)
}

func readSignalLog(path string) (sent, acked map[int]bool) {
	sent, acked = map[int]bool{}, map[int]bool{}
	f, err := os.Open(path)
	if err != nil {
		return sent, acked
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		verb, k, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.Atoi(k)
		if !ok || err != nil {
			continue // a line torn by the kill
		}
		switch verb {
		case "sent":
			sent[n] = true
		case "ack":
			acked[n] = true
		}
	}
	return sent, acked
}

func TestEntityCrashExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a child process several times")
	}
	dir := t.TempDir()
	const kills = 4
	for run := 1; run <= kills+1; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), entityCrashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "ready" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("run %d: child did not start: %s", run, stderr.String())
		}
		if run <= kills {
			_, acked := readSignalLog(filepath.Join(dir, "signals.log"))
			waitForAcks(t, dir, len(acked)+100+rand.IntN(400))
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			continue
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("final run: %v: %s", err, stderr.String())
		}
	}
	sent, acked := readSignalLog(filepath.Join(dir, "signals.log"))
	b, err := os.ReadFile(filepath.Join(dir, "counter"))
	if err != nil {
		t.Fatal(err)
	}
	counter, _ := strconv.Atoi(string(b))
	t.Logf("%d signals sent, %d acknowledged, counter %d after %d kills", len(sent), len(acked), counter, kills)
	if len(acked) != entityCrashSignals || counter != len(acked) {
		t.Fatalf("counter %d, acknowledged %d, want both %d", counter, len(acked), entityCrashSignals)
	}
}

// waitForAcks polls the log until it holds n acknowledgements, so kills land while
// signals are streaming.
func waitForAcks(t *testing.T, dir string, n int) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, acked := readSignalLog(filepath.Join(dir, "signals.log"))
		if len(acked) >= n || len(acked) >= entityCrashSignals-50 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d acknowledgements", len(acked))
		}
		time.Sleep(2 * time.Millisecond)
	}
}
