package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the CLI in this process against a real `durable serve`.

// cli runs a client verb in this process against the server.
func (s *server) cli(args ...string) (stdout, stderr string, code int) {
	return runSplit(append(args, "--server", s.url)...)
}

// cliOK runs a client verb that must succeed and returns its stdout.
func (s *server) cliOK(args ...string) string {
	s.t.Helper()
	stdout, stderr, code := s.cli(args...)
	if code != exitOK {
		s.t.Fatalf("durable %q: exit %d\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
	}
	return stdout
}

// failingTransfer is an input TransferFunds fails on.
const failingTransfer = `{"from":"a","to":"b","amount":0}`

// runFailing runs an instance under id that ends Failed.
func (s *server) runFailing(id string) {
	s.t.Helper()
	if _, stderr, code := s.cli("run", "TransferFunds", "--input", failingTransfer, "--id", id); code != exitFailed {
		s.t.Fatalf("run of a failing transfer: exit %d: %s", code, stderr)
	}
}

// requestLog is a proxy in front of a server that records the requests it passes on.
type requestLog struct {
	mu       sync.Mutex
	requests []string
}

func (l *requestLog) proxy(t *testing.T, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.requests = append(l.requests, r.Method+" "+r.URL.Path)
		l.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.requests
	l.requests = nil
	return r
}

func TestRunAndWaitExitCodes(t *testing.T) {
	s := startServer(t, t.TempDir())
	var log requestLog
	proxyURL := log.proxy(t, s.url)

	stdout, stderr, code := runSplit("run", "--server", proxyURL, "OnboardingOrchestrator", "--input", johnny, "--id", "cli-run-ok")
	if code != exitOK || !strings.Contains(stdout, "Completed") || !strings.Contains(stdout, "Johnny Lawrence") {
		t.Fatalf("run: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	// The server waits: one start that holds until the end, then one read of the status.
	if got := log.take(); len(got) != 2 || got[0] != "POST /api/orchestrators/OnboardingOrchestrator/cli-run-ok" ||
		got[1] != "GET /runtime/webhooks/durabletask/instances/cli-run-ok" {
		t.Fatalf("run sent %q", got)
	}

	var st status
	if err := json.Unmarshal([]byte(s.cliOK("run", "OnboardingOrchestrator", "--input", johnny, "--output", "json")), &st); err != nil ||
		st.RuntimeStatus != "Completed" || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(st.InstanceID) {
		t.Fatalf("run --output json: %+v %v", st, err)
	}

	// A version the server has no code for is refused, named.
	for _, verb := range []string{"start", "run"} {
		if _, stderr, code := s.cli(verb, "OnboardingOrchestrator", "--input", johnny, "--version", "9"); code == exitOK ||
			!strings.Contains(stderr, `"9"`) {
			t.Fatalf("%s --version 9: exit %d, %s", verb, code, stderr)
		}
	}

	stdout, stderr, code = s.cli("run", "TransferFunds", "--input", failingTransfer, "--id", "cli-run-failed")
	if code != exitFailed || !strings.Contains(stdout, "Failed") || !strings.Contains(stderr, "instance cli-run-failed ended Failed") {
		t.Fatalf("run of a failing orchestration: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if _, _, code := s.cli("wait", "cli-run-failed"); code != exitFailed {
		t.Fatalf("wait on a failed instance: exit %d", code)
	}

	_, stderr, code = s.cli("run", "OnboardingOrchestratorExternalEvent", "--input", daniel, "--id", "cli-run-slow", "--timeout", "200ms")
	if code != exitTimeout || !strings.Contains(stderr, "instance cli-run-slow still going after 200ms") {
		t.Fatalf("run past its timeout: exit %d: %s", code, stderr)
	}
	if _, stderr, code := s.cli("wait", "cli-run-slow", "--timeout", "100ms"); code != exitTimeout {
		t.Fatalf("wait past its timeout: exit %d: %s", code, stderr)
	}
	s.cliOK("terminate", "cli-run-slow")
	if stdout, _, code := s.cli("wait", "cli-run-slow"); code != exitTerminated || !strings.Contains(stdout, "Terminated") {
		t.Fatalf("wait on a terminated instance: exit %d: %s", code, stdout)
	}

	// Terminated while run waits for it.
	type result struct {
		stdout, stderr string
		code           int
	}
	done := make(chan result, 1)
	go func() {
		stdout, stderr, code := runSplit("run", "--server", proxyURL, "OnboardingOrchestratorExternalEvent", "--input", daniel, "--id", "cli-run-terminated")
		done <- result{stdout, stderr, code}
	}()
	s.waitStatus("cli-run-terminated", "Running")
	s.cliOK("terminate", "cli-run-terminated")
	r := <-done
	if r.code != exitTerminated || !strings.Contains(r.stdout, "Terminated") || !strings.Contains(r.stderr, "ended Terminated") {
		t.Fatalf("run terminated meanwhile: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if got := log.take(); len(got) != 2 {
		t.Fatalf("run sent %q, want one start and one status read", got)
	}

	if _, stderr, code := s.cli("wait", "no-such-instance"); code != exitNotFound {
		t.Fatalf("wait on no instance: exit %d: %s", code, stderr)
	}
	if _, stderr, code := s.cli("run", "NoSuchOrchestrator"); code != exitError || !strings.Contains(stderr, "400") {
		t.Fatalf("run of an unknown orchestration: exit %d: %s", code, stderr)
	}
	s.stop()
}

// instanceIDs decodes `list --output json` into instance ids.
func instanceIDs(t *testing.T, out string) []string {
	t.Helper()
	var list []status
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("not a JSON list of instances: %v: %q", err, out)
	}
	ids := []string{}
	for _, st := range list {
		ids = append(ids, st.InstanceID)
	}
	return ids
}

func TestListFiltersAndOutputs(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, empty := range [][]string{{"list", "--json"}, {"list", "--output", "json"}, {"entities", "Counter", "--json"}} {
		if out := s.cliOK(empty...); out != "[]\n" {
			t.Fatalf("durable %q of nothing: %q", empty, out)
		}
	}
	if out := s.cliOK("list", "--output", "jsonl"); out != "" {
		t.Fatalf("list --output jsonl of nothing: %q", out)
	}

	s.cliOK("run", "OnboardingOrchestrator", "--input", johnny, "--id", "cli-list-1")
	s.cliOK("run", "OnboardingOrchestrator", "--input", daniel, "--id", "cli-list-2")
	s.runFailing("cli-list-failed")
	s.cliOK("start", "Chaining", "--id", "other-prefix")

	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--name", "OnboardingOrchestrator"}, "cli-list-1,cli-list-2"},
		{[]string{"--name", "TransferFunds"}, "cli-list-failed"},
		{[]string{"--name", "onboardingorchestrator"}, ""},
		{[]string{"--status", "Failed"}, "cli-list-failed"},
		{[]string{"--status", "completed", "--name", "TransferFunds"}, ""},
		{[]string{"--created-after", "1h"}, "cli-list-1,cli-list-2,cli-list-failed"},
		{[]string{"--created-before", "1h"}, ""},
		{[]string{"--created-after", time.Now().Add(time.Hour).Format(time.RFC3339)}, ""},
		{[]string{"--created-before", time.Now().Add(time.Minute).Format(time.RFC3339), "--created-after", "1d"}, "cli-list-1,cli-list-2,cli-list-failed"},
	} {
		args := append([]string{"list", "--prefix", "cli-list-", "--output", "json"}, tc.flags...)
		if got := strings.Join(instanceIDs(t, s.cliOK(args...)), ","); got != tc.want {
			t.Errorf("list %q: %s, want %s", tc.flags, got, tc.want)
		}
	}

	lines := strings.Split(strings.TrimSpace(s.cliOK("list", "--prefix", "cli-list-", "--output", "jsonl")), "\n")
	if len(lines) != 3 {
		t.Fatalf("jsonl: %q", lines)
	}
	for _, l := range lines {
		var st status
		if err := json.Unmarshal([]byte(l), &st); err != nil || !strings.HasPrefix(st.InstanceID, "cli-list-") {
			t.Fatalf("jsonl line %q: %v", l, err)
		}
	}
	if out := s.cliOK("list", "--name", "TransferFunds"); !strings.HasPrefix(out, "INSTANCE") || !strings.Contains(out, "cli-list-failed") ||
		strings.Contains(out, "cli-list-1") {
		t.Fatalf("list as a table: %s", out)
	}
	if out := s.cliOK("status", "cli-list-1", "--output", "jsonl"); strings.Count(out, "\n") != 1 || !strings.Contains(out, `"runtimeStatus":"Completed"`) {
		t.Fatalf("status --output jsonl: %q", out)
	}
	if out := s.cliOK("status", "cli-list-1", "--output", "table"); !regexp.MustCompile(`(?m)^Status +Completed$`).MatchString(out) {
		t.Fatalf("status --output table: %q", out)
	}
	s.stop()
}

func TestPurgeByFilter(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.cliOK("run", "OnboardingOrchestrator", "--input", johnny, "--id", "cli-purge-1")
	s.cliOK("run", "OnboardingOrchestrator", "--input", daniel, "--id", "cli-purge-2")
	s.runFailing("cli-purge-failed")
	s.cliOK("start", "OnboardingOrchestratorExternalEvent", "--input", daniel, "--id", "cli-purge-running")

	if out := s.cliOK("purge", "--status", "Failed", "--created-after", "1h"); out != "purged 1 instance\n" {
		t.Fatalf("purge the failed: %q", out)
	}
	if _, _, code := s.cli("status", "cli-purge-failed"); code != exitNotFound {
		t.Fatalf("status of a purged instance: exit %d", code)
	}
	// Nothing was created that long ago.
	if out := s.cliOK("purge", "--created-before", "1h"); out != "purged 0 instances\n" {
		t.Fatalf("purge of none: %q", out)
	}
	if out := s.cliOK("purge", "--status", "Completed,Terminated", "--json"); out != `{"instancesDeleted":2}`+"\n" {
		t.Fatalf("purge the completed: %q", out)
	}
	if out := s.cliOK("purge", "--created-after", "1d", "--json"); out != `{"instancesDeleted":0}`+"\n" {
		t.Fatalf("purge of the running one: %q", out)
	}
	if got := instanceIDs(t, s.cliOK("list", "--prefix", "cli-purge-", "--json")); strings.Join(got, ",") != "cli-purge-running" {
		t.Fatalf("left after the purges: %q", got)
	}
	s.stop()
}
