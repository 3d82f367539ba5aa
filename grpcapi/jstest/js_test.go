// Package jstest drives grpcapi with the Durable Task JavaScript SDK
// (@microsoft/durabletask-js, pinned in package.json and package-lock.json): a Node
// script, sdk.test.mjs, is a client and a worker of the runtime's sidecar server, the
// process grpcapi/sdktest/server, built here. The script reports what the SDK saw as
// JSON lines; this test holds what it should have seen. (The SDK's package asks for
// Node 22; the Node 20 of the machines it runs on runs it, which this test shows.)
package jstest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireEnv set to 1 (as in CI) makes a missing node or SDK a failure, not a skip.
const requireEnv = "DURABLE_REQUIRE_NODE"

// fanOut is how many JS activities the JS orchestration JsFanOut fans out to: more
// than the 100 work items a worker holds at once by default.
const fanOut = 200

// want is what each case of sdk.test.mjs must report, besides its case name and time.
var want = map[string]string{
	// The JS client on the runtime's Go orchestrations.
	"go-greet": `{"exists":true,"name":"Greet","status":"COMPLETED","input":"\"JS\"","output":"\"Hello JS\""}`,
	"go-approval": `{"id":"js-approval-1","started":"RUNNING",
		"exists":true,"name":"Approval","status":"COMPLETED","input":null,"output":"\"yes from JS\""}`,
	"go-terminate-purge": `{
		"ended":{"exists":true,"name":"Approval","status":"TERMINATED","input":null,"output":"\"nobody came\""},
		"read":{"exists":true,"name":"Approval","status":"TERMINATED","input":null,"output":"\"nobody came\""},
		"listed":[{"id":"js-terminate-1","status":"TERMINATED"}],
		"purged":1,"after":{"exists":false},"purgedAgain":0}`,
	"go-unknown": `{"exists":false}`,
	// The JS worker's orchestration calls a Go activity, a JS activity and a timer, tells
	// the Go orchestration Approval that it waits, and gets the event the client raises.
	"js-chain": `{
		"told":{"exists":true,"name":"Approval","status":"COMPLETED","input":null,"output":"\"waiting\""},
		"exists":true,"name":"JsChain","status":"COMPLETED",
		"input":"{\"name\":\"Lima\",\"watcher\":\"js-chain-watcher\"}",
		"output":"[\"Hello Lima\",\"Hi Lima from JS\",\"approved\"]"}`,
	// The runtime's Go orchestration Mixed calls RemoteHello, which only the JS worker has.
	"go-mixed": `{"exists":true,"name":"Mixed","status":"COMPLETED","input":"\"Oslo\"",
		"output":"[\"Hello Oslo\",\"Hello from JS, Oslo\"]"}`,
	// A JS activity throws; the JS orchestration fails with the SDK's TaskFailedError
	// naming the activity's error.
	"js-fails": `{"exists":true,"name":"JsFails","status":"FAILED","input":"\"widgets\"","output":null,
		"failure":{"type":"TaskFailedError","message":"Activity task #1 failed: out of stock: widgets"}}`,
	"js-fan-out": fmt.Sprintf(`{"n":%d,"exists":true,"name":"JsFanOut","status":"COMPLETED","input":"%[1]d","output":"%d"}`,
		fanOut, (fanOut-1)*fanOut*(2*fanOut-1)/6),
	// The script got to its end.
	"done": `{}`,
}

func TestJavaScriptSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a server process and runs Node")
	}
	node := prerequisites(t)
	srv := startServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "sdk.test.mjs")
	cmd.Env = append(os.Environ(), "DURABLE_GRPC="+srv.addr, fmt.Sprint("FAN_OUT=", fanOut))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	t.Logf("node ran for %v", time.Since(start).Round(time.Millisecond))
	defer func() {
		if t.Failed() {
			t.Logf("node's stdout:\n%s\nnode's stderr:\n%s", stdout.String(), stderr.String())
		}
	}()
	if err != nil {
		t.Errorf("node: %v", err)
	}

	got := reports(t, stdout.Bytes())
	for name, w := range want {
		r, ok := got[name]
		if !ok {
			t.Errorf("%s: not reported", name)
			continue
		}
		var wantV any
		if err := json.Unmarshal([]byte(w), &wantV); err != nil {
			t.Fatalf("%s: the expectation is not JSON: %v", name, err)
		}
		if !reflect.DeepEqual(r, wantV) {
			g, _ := json.Marshal(r)
			t.Errorf("%s:\n got %s\nwant %s", name, g, mustCompact(w))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: reported, but the test expects nothing of it", name)
		}
	}
	srv.stop()
}

// reports parses the script's lines, by case, without the case name and the time it
// took.
func reports(t *testing.T, out []byte) map[string]any {
	t.Helper()
	got := map[string]any{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Errorf("a line that is not a report: %q", sc.Text())
			continue
		}
		name, _ := r["case"].(string)
		delete(r, "case")
		if ms, ok := r["ms"].(float64); ok {
			t.Logf("%s took %v ms", name, ms)
		}
		delete(r, "ms")
		got[name] = r
	}
	return got
}

func mustCompact(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// prerequisites finds node and the SDK, or skips (fails with DURABLE_REQUIRE_NODE=1)
// saying what is missing and how to get it.
func prerequisites(t *testing.T) (node string) {
	t.Helper()
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node (Node.js 20 or later: apt-get install nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "@microsoft", "durabletask-js", "package.json")); err != nil {
		missing = append(missing, "grpcapi/jstest/node_modules/@microsoft/durabletask-js (npm ci --prefix grpcapi/jstest)")
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("the JavaScript SDK's test needs %s", strings.Join(missing, " and "))
		if os.Getenv(requireEnv) == "1" {
			t.Fatal(msg + "; " + requireEnv + "=1 makes this a failure")
		}
		t.Skip(msg + "; skipping (set " + requireEnv + "=1 to fail instead)")
	}
	return node
}

// server is the runtime's sidecar process (grpcapi/sdktest/server) on a fresh journal.
type server struct {
	t      *testing.T
	addr   string
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   bool
}

// startServer builds the server, with the race detector when this test has it (so
// that the server's side of the SDK's traffic is checked too), and starts it.
func startServer(t *testing.T) *server {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./server")...)
	build.Dir = filepath.Join("..", "sdktest")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the server: %v\n%s", err, out)
	}
	s := &server{t: t}
	s.cmd = exec.Command(bin, "-data", t.TempDir(), "-grpc", "127.0.0.1:0")
	s.cmd.Stderr = &s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !s.done {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
			t.Logf("server's stderr:\n%s", s.stderr.String())
		}
	})
	// The server prints its address once it listens.
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		_ = s.cmd.Wait()
		s.done = true
		t.Fatalf("the server did not start:\n%s", s.stderr.String())
	}
	s.addr = strings.TrimSpace(sc.Text())
	return s
}

// stop ends the server as an operator would, and fails the test if it does not exit
// cleanly: a race the detector found makes it exit with status 66.
func (s *server) stop() {
	s.t.Helper()
	s.done = true
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		s.t.Errorf("the server exited with %v:\n%s", err, s.stderr.String())
	}
}
