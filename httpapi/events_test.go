package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable/httpapi"
)

// sse reads one event stream.
type sse struct {
	t      *testing.T
	resp   *http.Response
	lines  *bufio.Scanner
	cancel context.CancelFunc
}

// openEvents opens the event stream at u, which must answer 200 with its type; the
// stream closes when the test ends, and reads fail past a deadline.
func openEvents(t *testing.T, u string) *sse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sse{t: t, resp: resp, lines: bufio.NewScanner(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("events: %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	s.lines.Buffer(nil, 1<<20)
	return s
}

func (s *sse) close() {
	s.cancel()
	s.resp.Body.Close()
}

// next returns the next event's name and data, skipping comments and the retry field.
func (s *sse) next() (string, map[string]any) {
	s.t.Helper()
	var name, data string
	for s.lines.Scan() {
		line := s.lines.Text()
		switch {
		case line == "" && name != "":
			var v map[string]any
			if err := json.Unmarshal([]byte(data), &v); err != nil {
				s.t.Fatalf("event %s: data is not a JSON object (%v): %s", name, err, data)
			}
			return name, v
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
	s.t.Fatalf("the stream ended (%v) before an event", s.lines.Err())
	return "", nil
}

// until reads events until cond holds for one, and returns its data.
func (s *sse) until(what string, cond func(name string, data map[string]any) bool) map[string]any {
	s.t.Helper()
	for {
		name, data := s.next()
		if cond(name, data) {
			return data
		}
		s.t.Logf("while waiting for %s: %s %v", what, name, data)
	}
}

// listed returns the ids of an "instances" event.
func listed(data map[string]any) []string {
	var ids []string
	list, _ := data["instances"].([]any)
	for _, e := range list {
		ids = append(ids, e.(map[string]any)["instanceId"].(string))
	}
	return ids
}

func TestEventsPushListChanges(t *testing.T) {
	prefix := unique("pushed") + "-"
	s := openEvents(t, api("/events?newestFirst=true&top=2&instanceIdPrefix="+url.QueryEscape(prefix)))
	if name, data := s.next(); name != "instances" || len(listed(data)) != 0 {
		t.Fatalf("first event: %s %v, want an empty page", name, data)
	}
	startOK(t, "WaitForever", prefix+"a", "")
	s.until("a listed", func(name string, data map[string]any) bool { return name == "instances" && len(listed(data)) == 1 })
	startOK(t, "Echo", prefix+"b", "1")
	startOK(t, "Echo", prefix+"c", "2")
	page := s.until("b and c, newest first, Completed", func(name string, data map[string]any) bool {
		list, _ := data["instances"].([]any)
		return name == "instances" && strings.Join(listed(data), ",") == prefix+"c,"+prefix+"b" &&
			list[0].(map[string]any)["runtimeStatus"] == "Completed" && list[1].(map[string]any)["runtimeStatus"] == "Completed"
	})
	token, _ := page["continuationToken"].(string)
	if token == "" {
		t.Fatalf("a full page without a continuation token: %v", page)
	}
	// The next page, followed by the token the event handed out.
	next := openEvents(t, api("/events?newestFirst=true&top=2&instanceIdPrefix="+url.QueryEscape(prefix)+"&continuationToken="+url.QueryEscape(token)))
	if name, data := next.next(); name != "instances" || strings.Join(listed(data), ",") != prefix+"a" || data["continuationToken"] != nil {
		t.Fatalf("second page: %s %v", name, data)
	}
}

func TestEventsPushInstanceChanges(t *testing.T) {
	p := startOK(t, "OnboardingApproval", "", `{"name":"Ada"}`)
	id := p["id"].(string)
	s := openEvents(t, api("/events?showHistory=true&instanceId="+url.QueryEscape(id)))
	s.until("Ada waiting for approval", func(name string, data map[string]any) bool {
		evs, _ := data["historyEvents"].([]any)
		return name == "instance" && data["instanceId"] == id && data["runtimeStatus"] == "Running" && len(evs) >= 2
	})
	expect(t, call(t, "POST", strings.ReplaceAll(p["sendEventPostUri"].(string), "{eventName}", "ApprovalRequest"), `"approved"`), http.StatusAccepted)
	done := s.until("completion", func(name string, data map[string]any) bool {
		return name == "instance" && data["runtimeStatus"] == "Completed"
	})
	if done["output"] != "Ada approved" {
		t.Fatalf("completed: %v", done)
	}
	evs, _ := done["historyEvents"].([]any)
	if last := evs[len(evs)-1].(map[string]any); last["EventType"] != "ExecutionCompleted" {
		t.Fatalf("the pushed history does not end with the completion: %v", last)
	}
	expect(t, call(t, "DELETE", p["purgeHistoryDeleteUri"].(string), ""), http.StatusOK)
	gone := s.until("the purge", func(name string, data map[string]any) bool { return name == "apiError" })
	if gone["error"] != "InstanceNotFound" || gone["message"] == "" || gone["status"] != float64(http.StatusNotFound) {
		t.Fatalf("after the purge: %v", gone)
	}
}

func TestEventsRefuseBadParameters(t *testing.T) {
	for _, q := range []string{"newestFirst=soon", "runtimeStatus=Sleeping", "continuationToken=not%20base64!", "instanceId=x&showHistory=2"} {
		expect(t, call(t, "GET", api("/events?"+q), ""), http.StatusBadRequest)
	}
	expect(t, call(t, "POST", api("/events"), ""), http.StatusNotFound)
}

// serveAPI serves a fresh API handler with opts on a server of its own.
func serveAPI(t *testing.T, opts httpapi.Options) (*http.Server, string) {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A read timeout, as `durable serve` has: streams must outlive it.
	srv := &http.Server{Handler: httpapi.New(rt.Client(), opts), ReadTimeout: 300 * time.Millisecond}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv, "http://" + l.Addr().String() + httpapi.BasePath
}

// admitted reports whether a stream at u is let in, closing it at once.
func admitted(t *testing.T, u string) bool {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestEventStreamsAreBounded(t *testing.T) {
	_, base := serveAPI(t, httpapi.Options{MaxEventStreams: 2})
	openEvents(t, base+"/events").next()
	s := openEvents(t, base+"/events?instanceIdPrefix=x")
	s.next()
	r := call(t, "GET", base+"/events", "")
	expect(t, r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "TooManyStreams") {
		t.Fatalf("refusal: %v %s", r.header, r.body)
	}
	s.close()
	eventually(t, "the closed stream to make room", func() bool { return admitted(t, base+"/events") })
}

// TestEventStreamsOutliveReadTimeoutAndEndOnShutdown: a stream lasts past the
// server's read timeout, and Shutdown ends it rather than waiting for it.
func TestEventStreamsOutliveReadTimeoutAndEndOnShutdown(t *testing.T) {
	srv, base := serveAPI(t, httpapi.Options{EventInterval: 20 * time.Millisecond})
	prefix := unique("late") + "-"
	s := openEvents(t, base+"/events?instanceIdPrefix="+url.QueryEscape(prefix))
	s.next()
	<-time.After(2 * srv.ReadTimeout) // nothing to await: the timeout passing is the point
	startOK(t, "Echo", prefix+"a", "1")
	s.until("the instance started after the read timeout", func(name string, data map[string]any) bool {
		return name == "instances" && len(listed(data)) == 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a stream open: %v", err)
	}
	if err := srv.Shutdown(ctx); err != nil { // a second call finds nothing left to end
		t.Fatalf("Shutdown again: %v", err)
	}
	for s.lines.Scan() {
	}
	if err := s.lines.Err(); err != nil {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
}
