package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests build the durable binary and drive a real `durable serve` process with
// the client verbs, over HTTP, as a user would.

// bin is built with the race detector; memberBin without, for cluster members:
// protoactor's remoting swaps gRPC's global logger when it starts, racing with the
// etcd client's connection that a member must open first (upstream, not ours).
var bin, memberBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "durable-cli-")
	if err != nil {
		panic(err)
	}
	bin, memberBin = filepath.Join(dir, "durable"), filepath.Join(dir, "durable-member")
	for _, b := range []struct{ out, race string }{{bin, "-race"}, {memberBin, "-race=false"}} {
		if out, err := exec.Command("go", "build", b.race, "-o", b.out, ".").CombinedOutput(); err != nil {
			fmt.Printf("build: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	data string
	key  string
}

// startServer runs `durable serve` on a free loopback port and waits until it serves.
func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	return startBinary(t, bin, data, extra...)
}

func startBinary(t *testing.T, bin, data string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--http", "127.0.0.1:0", "--data", data}, extra...)
	return startCommand(t, exec.Command(bin, args...), data)
}

// startCommand runs cmd, a `durable serve`, and waits until it serves.
func startCommand(t *testing.T, cmd *exec.Cmd, data string) *server {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	// DURABLE_TEST_LOGS=dir keeps what every server logs, for a failure that needs it.
	if dir := os.Getenv("DURABLE_TEST_LOGS"); dir != "" {
		f, err := os.CreateTemp(dir, filepath.Base(data)+"-*.log")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		cmd.Stderr = io.MultiWriter(&stderr, f)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
	}()
	var first string
	select {
	case first = <-line:
	case <-time.After(30 * time.Second):
	}
	_, rest, ok := strings.Cut(first, "serving ")
	if !ok {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("serve did not start: %q %s", first, stderr.String())
	}
	s := &server{t: t, cmd: cmd, url: strings.Fields(rest)[0], data: data}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
	return s
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop() {
	s.t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			s.t.Fatalf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		s.t.Fatal("serve did not stop after SIGTERM")
	}
}

// durable runs a client verb against the server and returns its output and exit code.
func (s *server) durable(args ...string) (string, int) {
	s.t.Helper()
	args = append(args, "--server", s.url)
	if s.key != "" {
		args = append(args, "--api-key", s.key)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return string(out), code
}

func (s *server) ok(args ...string) string {
	s.t.Helper()
	out, code := s.durable(args...)
	if code != 0 {
		s.t.Fatalf("durable %v: exit %d: %s", args, code, out)
	}
	return out
}

func (s *server) startJSON(name, input string, extra ...string) string {
	s.t.Helper()
	out := s.ok(append([]string{"start", name, "--input", input, "--json"}, extra...)...)
	var payload map[string]string
	if err := json.Unmarshal([]byte(out), &payload); err != nil {
		s.t.Fatalf("start --json printed %q: %v", out, err)
	}
	for _, f := range []string{"id", "statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri"} {
		if payload[f] == "" {
			s.t.Fatalf("start payload lacks %s: %s", f, out)
		}
	}
	return payload["id"]
}

// waitStatus polls `durable status` until the instance reports want.
func (s *server) waitStatus(id, want string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, _ := s.durable("status", id, "--json")
		if strings.Contains(out, `"runtimeStatus":"`+want+`"`) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s never reached %s: %s", id, want, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const johnny = `{"name":"Johnny Lawrence","email":"johnny.lawrence@eaglefang.com","startdate":"01.02.2022","role":"developer"}`
const daniel = `{"name":"Daniel LaRusso","email":"daniel.larusso@miyagido.com","startdate":"15.02.2022","role":"sales"}`

func TestServeAndClientVerbs(t *testing.T) {
	s := startServer(t, t.TempDir())

	id := s.startJSON("OnboardingOrchestrator", johnny)
	out := s.ok("wait", id)
	if !strings.Contains(out, "Completed") || !strings.Contains(out, "Johnny Lawrence") {
		t.Fatalf("wait: %s", out)
	}
	out = s.ok("status", id, "--history")
	if !strings.Contains(out, "TaskCompleted") || !strings.Contains(out, "WelcomeEmailActivity") {
		t.Fatalf("status --history: %s", out)
	}

	approval := s.startJSON("OnboardingOrchestratorExternalEvent", daniel)
	s.waitStatus(approval, "Running")
	s.ok("raise", approval, "ApprovalRequest", `"approved"`)
	if out := s.ok("wait", approval, "--json"); !strings.Contains(out, `"runtimeStatus":"Completed"`) || !strings.Contains(out, "ordered") {
		t.Fatalf("approval: %s", out)
	}
	if out, code := s.durable("raise", approval, "ApprovalRequest", `"again"`); code != 1 || !strings.Contains(out, "410") {
		t.Fatalf("raise on a finished instance: exit %d: %s", code, out)
	}

	waiting := s.startJSON("OnboardingOrchestratorExternalEvent", daniel, "--id", "cli-waiting")
	s.waitStatus(waiting, "Running")
	s.ok("suspend", waiting, "--reason", "hold")
	s.waitStatus(waiting, "Suspended")
	s.ok("resume", waiting)
	s.waitStatus(waiting, "Running")
	if out, code := s.durable("rewind", waiting); code != 1 || !strings.Contains(out, "409") {
		t.Fatalf("rewind of a running instance: exit %d: %s", code, out)
	}
	s.ok("terminate", waiting, "--reason", "not needed")
	s.waitStatus(waiting, "Terminated")

	out = s.ok("list", "--prefix", "cli-", "--all")
	if !strings.Contains(out, "cli-waiting") || !strings.Contains(out, "Terminated") {
		t.Fatalf("list: %s", out)
	}
	out = s.ok("restart", id, "--json")
	var restarted map[string]string
	if err := json.Unmarshal([]byte(out), &restarted); err != nil || restarted["id"] == id || restarted["id"] == "" {
		t.Fatalf("restart: %s", out)
	}
	s.ok("wait", restarted["id"])

	s.ok("purge", waiting)
	if out, code := s.durable("status", waiting); code != 3 {
		t.Fatalf("status after purge: exit %d: %s", code, out)
	}

	s.ok("signal", "Counter", "cli", "add", "5")
	s.ok("signal", "Counter", "cli", "add", "2")
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ = s.durable("entity", "Counter", "cli")
		if strings.Contains(out, "7") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out, "7") {
		t.Fatalf("entity: %s", out)
	}
	if out := s.ok("entities", "Counter"); !strings.Contains(out, "cli") {
		t.Fatalf("entities: %s", out)
	}
	if out, code := s.durable("start", "NoSuchOrchestrator"); code != 1 || !strings.Contains(out, "400") {
		t.Fatalf("unknown orchestration: exit %d: %s", code, out)
	}
	if out, code := s.durable("start", "OnboardingOrchestrator", "--input", "{broken"); code != 2 || !strings.Contains(out, "not valid JSON") {
		t.Fatalf("bad input: exit %d: %s", code, out)
	}
	s.stop()
}

// TestEndpointsWithoutVerbs drives the endpoints no client verb uses, over HTTP
// against the real server.
func TestEndpointsWithoutVerbs(t *testing.T) {
	s := startServer(t, t.TempDir())
	id := s.startJSON("OnboardingOrchestrator", johnny)
	s.ok("wait", id)
	call := func(method, path string, want int) string {
		t.Helper()
		req, err := http.NewRequest(method, s.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b.String())
		}
		return b.String()
	}
	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if body := call("DELETE", "/runtime/webhooks/durabletask/instances?createdTimeFrom="+from+"&runtimeStatus=Completed", 200); !strings.Contains(body, `"instancesDeleted":1`) {
		t.Fatalf("purge by filter: %s", body)
	}
	call("DELETE", "/runtime/webhooks/durabletask/instances?createdTimeFrom="+from, 404)
	call("DELETE", "/runtime/webhooks/durabletask/instances", 400)
	s.ok("signal", "Counter", "gone", "add", "1")
	call("DELETE", "/runtime/webhooks/durabletask/entities/Counter/gone", 202)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, code := s.durable("entity", "Counter", "gone"); code == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("entity still there after DELETE")
		}
		time.Sleep(20 * time.Millisecond)
	}
	call("GET", "/no/such/route", 404)
	s.stop()
}

func TestGracefulShutdownKeepsData(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	id := s.startJSON("OnboardingOrchestratorExternalEvent", daniel, "--id", "survivor")
	s.waitStatus(id, "Running")
	s.stop()

	s = startServer(t, data)
	s.waitStatus(id, "Running")
	s.ok("raise", id, "ApprovalRequest", `"approved"`)
	if out := s.ok("wait", id); !strings.Contains(out, "Completed") {
		t.Fatalf("after restart: %s", out)
	}
	s.stop()
}

func TestAPIKey(t *testing.T) {
	s := startServer(t, t.TempDir(), "--api-key", "s3cret")
	resp, err := http.Get(s.url + "/runtime/webhooks/durabletask/instances")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a key: %d", resp.StatusCode)
	}
	if _, code := s.durable("list"); code == 0 {
		t.Fatal("list without a key succeeded")
	}
	s.key = "s3cret"
	s.ok("list")
	s.stop()
}

func TestDefaultsToLoopback(t *testing.T) {
	out, _, code := runSplit("serve", "--help")
	if code != 0 || !strings.Contains(out, "--http ADDRESS") || !strings.Contains(out, "(default 127.0.0.1:7071)") {
		t.Fatalf("serve --help: exit %d: %s", code, out)
	}
}
