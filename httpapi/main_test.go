package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/httpapi"
	"github.com/godurable/durable/internal/fixture"
	"github.com/godurable/durable/orchestrator"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// One runtime serves the whole package: starting an actor cluster member costs about a
// second, and there is one actor system per process.
var (
	rt  *durable.Runtime
	srv *httptest.Server // the API without a key, over real HTTP
	// journal is the runtime's, wrapped so that a test can make an instance read as
	// corrupt.
	journal *corruptible
)

func TestMain(m *testing.M) {
	quiet := slog.New(slog.DiscardHandler)
	bj, err := badgerjournal.Open(badgerjournal.Config{InMemory: true, Logger: quiet})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	journal = &corruptible{Journal: bj}
	rt, err = durable.Open(durable.Config{InMemory: true, Journal: journal, IdleTimeout: 200 * time.Millisecond, Logger: quiet,
		TracerProvider: tracing})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if err := register(rt); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if err := rt.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	srv = httptest.NewServer(httpapi.New(rt.Client(), httpapi.Options{Logger: quiet}))
	code := m.Run()
	srv.Close()
	_ = rt.Close()
	_ = journal.Close() // the runtime does not close a journal it was given
	os.Exit(code)
}

// Onboardee is the input of the seeds' onboarding orchestrations.
type Onboardee struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	StartDate string `json:"startdate"`
	Role      string `json:"role"`
}

// flaky remembers which inputs FlakyOnce has already failed for.
var flaky sync.Map

// Counter is a typed entity.
type Counter struct{ Value int }

func (c *Counter) Add(n int) { c.Value += n }
func (c *Counter) Get() int  { return c.Value }
func (c *Counter) Reset()    { c.Value = 0 }

func register(rt *durable.Runtime) error {
	greet := func(_ context.Context, name string) (string, error) { return "Hello " + name, nil }
	boom := func(_ context.Context, msg string) (string, error) { return "", errors.New("boom: " + msg) }
	flakyOnce := func(_ context.Context, key string) (string, error) {
		if _, seen := flaky.LoadOrStore(key, true); !seen {
			return "", errors.New("transient outage")
		}
		return "ok " + key, nil
	}
	// Onboarding mirrors the seeds' OnboardingOrchestrator: three activities in a row.
	onboarding := func(ctx *orchestrator.Context, p Onboardee) ([]string, error) {
		var out []string
		for _, step := range []string{"welcome " + p.Name, "account " + p.Email, "desk " + p.Role} {
			s, err := orchestrator.CallActivity[string](ctx, "Greet", step).Await()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	// OnboardingApproval mirrors OnboardingOrchestratorExternalEvent: it waits for a
	// person's approval.
	approval := func(ctx *orchestrator.Context, p Onboardee) (string, error) {
		if _, err := orchestrator.CallActivity[string](ctx, "Greet", p.Name).Await(); err != nil {
			return "", err
		}
		answer, err := orchestrator.WaitForExternalEvent[string](ctx, "ApprovalRequest").Await()
		if err != nil {
			return "", err
		}
		return p.Name + " " + answer, nil
	}
	echo := func(_ *orchestrator.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil }
	failing := func(ctx *orchestrator.Context, msg string) (string, error) {
		return orchestrator.CallActivity[string](ctx, "Boom", msg).Await()
	}
	needsRewind := func(ctx *orchestrator.Context, key string) (string, error) {
		a, err := orchestrator.CallActivity[string](ctx, "Greet", key).Await()
		if err != nil {
			return "", err
		}
		b, err := orchestrator.CallActivity[string](ctx, "FlakyOnce", key).Await()
		if err != nil {
			return "", err
		}
		return a + "|" + b, nil
	}
	waitForever := func(ctx *orchestrator.Context) (string, error) {
		if err := ctx.SetCustomStatus(map[string]string{"stage": "waiting"}); err != nil {
			return "", err
		}
		return orchestrator.WaitForExternalEvent[string](ctx, "Never").Await()
	}
	// Showcase leaves one of each kind of history event behind.
	showcase := func(ctx *orchestrator.Context) (string, error) {
		g, err := orchestrator.CallActivity[string](ctx, "Greet", "a").Await()
		if err != nil {
			return "", err
		}
		if _, err := orchestrator.CallSubOrchestrator[json.RawMessage](ctx, "Echo", "child-in").Await(); err != nil {
			return "", err
		}
		if err := ctx.CreateTimer(time.Millisecond).Await(); err != nil {
			return "", err
		}
		if _, err := orchestrator.CallActivity[string](ctx, "Boom", "caught").Await(); err == nil {
			return "", errors.New("Boom did not fail")
		}
		got, err := orchestrator.WaitForExternalEvent[string](ctx, "Go").Await()
		return g + "+" + got, err
	}
	for name, fn := range map[string]any{"Greet": greet, "Boom": boom, "FlakyOnce": flakyOnce} {
		if err := rt.RegisterActivity(name, fn); err != nil {
			return err
		}
	}
	for name, fn := range map[string]any{
		"Onboarding": onboarding, "OnboardingApproval": approval, "Echo": echo, "Failing": failing,
		"NeedsRewind": needsRewind, "WaitForever": waitForever, "Showcase": showcase,
		// HoldCounter holds the counter its input names locked until told to Release.
		"HoldCounter": fixture.HoldLock("Counter"),
	} {
		if err := rt.RegisterOrchestrator(name, fn); err != nil {
			return err
		}
	}
	return rt.RegisterEntity("Counter", entities.Typed[Counter]())
}

// unique makes instance ids and entity keys distinct across tests and -count runs.
var seq atomic.Int64

func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, seq.Add(1))
}

// response is a finished HTTP exchange.
type response struct {
	code   int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value, failing the test when it is not JSON.
func (r response) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
	return v
}

func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("body is not a JSON object: %s", r.body)
	}
	return m
}

func (r response) array(t *testing.T) []any {
	t.Helper()
	a, ok := r.json(t).([]any)
	if !ok {
		t.Fatalf("body is not a JSON array: %s", r.body)
	}
	return a
}

// call sends one request. body "" sends none; headers come in name, value pairs; a
// JSON body gets Content-Type application/json unless the headers say otherwise.
func call(t *testing.T, method, url, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

// expect checks the status code, and for errors the JSON error shape.
func expect(t *testing.T, r response, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
	if code >= 400 {
		m := r.object(t)
		if s, _ := m["error"].(string); s == "" {
			t.Fatalf("error body without an error code: %s", r.body)
		}
		if s, _ := m["message"].(string); s == "" {
			t.Fatalf("error body without a message: %s", r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("error answered as %q", ct)
		}
	}
}

// eventually polls cond until it holds, failing the test after a deadline. It is how
// tests wait for states the runtime reaches asynchronously.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// api is the management API's base URL on the shared server.
func api(path string) string { return srv.URL + httpapi.BasePath + path }

// startOK starts name with body under /runtime/webhooks/durabletask/orchestrators and
// returns the check-status payload.
func startOK(t *testing.T, name, id, body string) map[string]any {
	t.Helper()
	path := "/orchestrators/" + name
	if id != "" {
		path += "/" + id
	}
	r := call(t, "POST", api(path), body)
	expect(t, r, http.StatusAccepted)
	return r.object(t)
}

// pollStatus polls statusQueryGetUri until the instance reaches one of statuses and
// returns the last answer.
func pollStatus(t *testing.T, url string, statuses ...string) response {
	t.Helper()
	var last response
	eventually(t, "status "+strings.Join(statuses, "/")+" at "+url, func() bool {
		last = call(t, "GET", url, "")
		if last.code != http.StatusOK && last.code != http.StatusAccepted {
			return false
		}
		st, _ := last.object(t)["runtimeStatus"].(string)
		for _, s := range statuses {
			if st == s {
				return true
			}
		}
		return false
	})
	return last
}

// jsonEq reports whether a and b are the same JSON value.
func jsonEq(t *testing.T, a any, b string) bool {
	t.Helper()
	var want any
	if err := json.Unmarshal([]byte(b), &want); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(want)
	return string(ja) == string(jb)
}
