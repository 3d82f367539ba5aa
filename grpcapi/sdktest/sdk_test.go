// Package sdktest drives `grpcapi` with a Durable Task SDK, durabletask-go, pinned in
// this module of its own so that the runtime's module does not depend on it. The
// runtime runs in a process of its own (./server), as a sidecar does: the SDK and the
// runtime register the same protocol types, which one process cannot hold twice.
package sdktest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/client"
	"github.com/microsoft/durabletask-go/task"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// server is the runtime's process, on a journal and an address that outlive it.
type server struct {
	t    *testing.T
	bin  string
	data string
	addr string
	cmd  *exec.Cmd
}

// newServer builds the server and starts it on a fresh journal.
func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{t: t, bin: filepath.Join(t.TempDir(), "server"), data: t.TempDir(), addr: "127.0.0.1:0"}
	if out, err := exec.Command("go", "build", "-o", s.bin, "./server").CombinedOutput(); err != nil {
		t.Fatalf("build the server: %v\n%s", err, out)
	}
	s.start()
	t.Cleanup(func() {
		if s.cmd != nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
	return s
}

// start runs the server, on the address it had before if it ran already.
func (s *server) start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "-data", s.data, "-grpc", s.addr)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		s.t.Fatal("the server did not start")
	}
	s.addr = strings.TrimSpace(sc.Text())
}

// kill ends the server with SIGKILL.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// client returns an SDK client connected to the server.
func (s *server) client() *client.TaskHubGrpcClient {
	conn, err := grpc.Dial(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { conn.Close() })
	return client.NewTaskHubGrpcClient(conn, backend.DefaultLogger())
}

// sidecar starts the server process on a fresh journal and returns an SDK client
// connected to it.
func sidecar(t *testing.T) *client.TaskHubGrpcClient {
	t.Helper()
	return newServer(t).client()
}

func TestSDKClientAndWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a server process")
	}
	c := sidecar(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A worker that implements the activity the runtime's Mixed orchestration calls but
	// no Go code registered.
	r := task.NewTaskRegistry()
	if err := r.AddActivityN("RemoteHello", func(ac task.ActivityContext) (any, error) {
		var name string
		if err := ac.GetInput(&name); err != nil {
			return nil, err
		}
		return "Hello from the SDK, " + name, nil
	}); err != nil {
		t.Fatal(err)
	}
	// An orchestration written with the SDK: a Go activity, the SDK's own activity, a
	// durable timer, a Go sub-orchestration and an external event.
	if err := r.AddOrchestratorN("SdkChain", func(oc *task.OrchestrationContext) (any, error) {
		var name string
		if err := oc.GetInput(&name); err != nil {
			return nil, err
		}
		var local, remote, child, approval string
		if err := oc.CallActivity("Hello", task.WithActivityInput(name)).Await(&local); err != nil {
			return nil, err
		}
		if err := oc.CallActivity("RemoteHello", task.WithActivityInput(name)).Await(&remote); err != nil {
			return nil, err
		}
		if err := oc.CreateTimer(50 * time.Millisecond).Await(nil); err != nil {
			return nil, err
		}
		if err := oc.CallSubOrchestrator("Greet", task.WithSubOrchestratorInput(name+" child")).Await(&child); err != nil {
			return nil, err
		}
		if err := oc.WaitForSingleEvent("approve", time.Minute).Await(&approval); err != nil {
			return nil, err
		}
		return []string{local, remote, child, approval}, nil
	}); err != nil {
		t.Fatal(err)
	}
	// A fan-out wider than the worker takes at once: 300 SDK activities, all awaited.
	if err := r.AddActivityN("Square", func(ac task.ActivityContext) (any, error) {
		var n int
		err := ac.GetInput(&n)
		return n * n, err
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.AddOrchestratorN("SdkFanOut", func(oc *task.OrchestrationContext) (any, error) {
		var n int
		if err := oc.GetInput(&n); err != nil {
			return nil, err
		}
		tasks := make([]task.Task, n)
		for i := range tasks {
			tasks[i] = oc.CallActivity("Square", task.WithActivityInput(i))
		}
		sum := 0
		for _, t := range tasks {
			var sq int
			if err := t.Await(&sq); err != nil {
				return nil, err
			}
			sum += sq
		}
		return sum, nil
	}); err != nil {
		t.Fatal(err)
	}
	wctx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	if err := c.StartWorkItemListener(wctx, r); err != nil {
		t.Fatal(err)
	}

	t.Run("an SDK orchestration fans out to 300 SDK activities", func(t *testing.T) {
		const n = 300
		id, err := c.ScheduleNewOrchestration(ctx, "SdkFanOut", api.WithInput(n))
		if err != nil {
			t.Fatal(err)
		}
		md, err := c.WaitForOrchestrationCompletion(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint((n - 1) * n * (2*n - 1) / 6)
		if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED || md.SerializedOutput != want {
			t.Fatalf("SdkFanOut ended %v with %s (%v), want %s", md.RuntimeStatus, md.SerializedOutput, md.FailureDetails, want)
		}
	})

	t.Run("a Go orchestration calls the SDK's activity", func(t *testing.T) {
		id, err := c.ScheduleNewOrchestration(ctx, "Mixed", api.WithInstanceID("mixed-1"), api.WithInput("Oslo"))
		if err != nil {
			t.Fatal(err)
		}
		md, err := c.WaitForOrchestrationCompletion(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !md.IsComplete() || md.SerializedOutput != `["Hello Oslo","Hello from the SDK, Oslo"]` {
			t.Fatalf("Mixed ended %v with %s (%v)", md.RuntimeStatus, md.SerializedOutput, md.FailureDetails)
		}
	})

	t.Run("an SDK orchestration calls Go and SDK code", func(t *testing.T) {
		id, err := c.ScheduleNewOrchestration(ctx, "SdkChain", api.WithInstanceID("sdk-chain-1"), api.WithInput("Lima"))
		if err != nil {
			t.Fatal(err)
		}
		// The event may come before the orchestration waits for it: it is kept.
		if err := c.RaiseEvent(ctx, id, "approve", api.WithEventPayload("approved")); err != nil {
			t.Fatal(err)
		}
		md, err := c.WaitForOrchestrationCompletion(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := `["Hello Lima","Hello from the SDK, Lima","Hello Lima child","approved"]`
		if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED || md.SerializedOutput != want {
			t.Fatalf("SdkChain ended %v with %s (%v), want %s", md.RuntimeStatus, md.SerializedOutput, md.FailureDetails, want)
		}
	})

	t.Run("start, read and wait", func(t *testing.T) {
		id, err := c.ScheduleNewOrchestration(ctx, "Greet", api.WithInput("SDK"))
		if err != nil {
			t.Fatal(err)
		}
		md, err := c.WaitForOrchestrationCompletion(ctx, id)
		if err != nil || md.SerializedOutput != `"Hello SDK"` || md.SerializedInput != `"SDK"` || md.Name != "Greet" {
			t.Fatalf("Greet: %+v %v", md, err)
		}
		if _, err := c.FetchOrchestrationMetadata(ctx, "never-started"); !errors.Is(err, api.ErrInstanceNotFound) {
			t.Fatalf("an unknown instance: %v, want ErrInstanceNotFound", err)
		}
	})

	t.Run("events, suspend, resume, terminate and purge", func(t *testing.T) {
		for _, id := range []api.InstanceID{"approve-1", "approve-2"} {
			if _, err := c.ScheduleNewOrchestration(ctx, "Approval", api.WithInstanceID(id)); err != nil {
				t.Fatal(err)
			}
			if _, err := c.WaitForOrchestrationStart(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.SuspendOrchestration(ctx, "approve-1", "lunch"); err != nil {
			t.Fatal(err)
		}
		if md, err := c.FetchOrchestrationMetadata(ctx, "approve-1"); err != nil || md.RuntimeStatus != api.RUNTIME_STATUS_SUSPENDED {
			t.Fatalf("after suspend: %+v %v", md, err)
		}
		if err := c.ResumeOrchestration(ctx, "approve-1", "back"); err != nil {
			t.Fatal(err)
		}
		if err := c.RaiseEvent(ctx, "approve-1", "approve", api.WithEventPayload("yes")); err != nil {
			t.Fatal(err)
		}
		md, err := c.WaitForOrchestrationCompletion(ctx, "approve-1")
		if err != nil || md.SerializedOutput != `"yes"` {
			t.Fatalf("approved: %+v %v", md, err)
		}
		if err := c.TerminateOrchestration(ctx, "approve-2", api.WithOutput("nobody came")); err != nil {
			t.Fatal(err)
		}
		md, err = c.WaitForOrchestrationCompletion(ctx, "approve-2")
		if err != nil || md.RuntimeStatus != api.RUNTIME_STATUS_TERMINATED || md.SerializedOutput != `"nobody came"` {
			t.Fatalf("terminated: %+v %v", md, err)
		}
		if err := c.PurgeOrchestrationState(ctx, "approve-2"); err != nil {
			t.Fatal(err)
		}
		if err := c.PurgeOrchestrationState(ctx, "approve-2"); !errors.Is(err, api.ErrInstanceNotFound) {
			t.Fatalf("purging twice: %v, want ErrInstanceNotFound", err)
		}
	})

	t.Run("an orchestration nobody implements fails", func(t *testing.T) {
		id, err := c.ScheduleNewOrchestration(ctx, "NoSuchOrchestration")
		if err != nil {
			t.Fatal(err)
		}
		md, err := c.WaitForOrchestrationCompletion(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// The SDK's worker fails it (this SDK version's client does not read the
		// failure's details back).
		if md.RuntimeStatus != api.RUNTIME_STATUS_FAILED {
			t.Fatalf("ended %v", md.RuntimeStatus)
		}
	})
}

// The runtime's process killed with SIGKILL while SDK orchestrations run: every one
// acknowledged completes once it is back, and its worker reconnects by itself.
func TestSDKOrchestrationsSurviveAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a server process")
	}
	srv := newServer(t)
	c := srv.client()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := task.NewTaskRegistry()
	if err := r.AddOrchestratorN("Steps", func(oc *task.OrchestrationContext) (any, error) {
		total := 0
		for i := range 5 {
			var n int
			if err := oc.CallActivity("Count", task.WithActivityInput(i)).Await(&n); err != nil {
				return nil, err
			}
			total += n
			if err := oc.CreateTimer(100 * time.Millisecond).Await(nil); err != nil {
				return nil, err
			}
		}
		return total, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.AddActivityN("Count", func(ac task.ActivityContext) (any, error) {
		var i int
		if err := ac.GetInput(&i); err != nil {
			return nil, err
		}
		return i + 1, nil
	}); err != nil {
		t.Fatal(err)
	}
	wctx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	if err := c.StartWorkItemListener(wctx, r); err != nil {
		t.Fatal(err)
	}

	const n = 20
	for i := range n {
		if _, err := c.ScheduleNewOrchestration(ctx, "Steps", api.WithInstanceID(api.InstanceID(fmt.Sprint("steps-", i)))); err != nil {
			t.Fatal(err)
		}
	}
	// Once some are under way, the process dies; it comes back on its journal.
	for {
		md, err := c.FetchOrchestrationMetadata(ctx, "steps-0")
		if err != nil {
			t.Fatal(err)
		}
		// Under way: past its start (or, on a fast machine, already done; the others
		// started after it are then under way).
		if md.RuntimeStatus == api.RUNTIME_STATUS_RUNNING && md.LastUpdatedAt.After(md.CreatedAt) || md.IsComplete() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.kill()
	srv.start()
	for i := range n {
		md, err := c.WaitForOrchestrationCompletion(ctx, api.InstanceID(fmt.Sprint("steps-", i)))
		if err != nil {
			t.Fatal(err)
		}
		if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED || md.SerializedOutput != "15" {
			t.Fatalf("steps-%d ended %v with %s", i, md.RuntimeStatus, md.SerializedOutput)
		}
	}
}
