package durabletest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/durabletest"
	"github.com/godurable/durable/httpapi"
	"github.com/godurable/durable/orchestrator"
)

var update = flag.Bool("update", false, "record the saved histories under testdata/ again")

// savedStatus returns the instance's status as the HTTP API serves it to
// `durable status ID --history --json`.
func savedStatus(t *testing.T, rt *durabletest.Runtime, id string) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, httpapi.BasePath+"/instances/"+id+"?showHistory=true&showHistoryOutput=true", nil)
	httpapi.New(rt.Client(), httpapi.Options{}).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status of %s: %d %s", id, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// history is one instance's history in every form Replay takes.
type saved struct{ api, status, events []byte }

// record runs orchestrator in rt and saves its history.
func record(t *testing.T, rt *durabletest.Runtime, orchestrator any, input any, id string, opts ...durable.StartOption) saved {
	t.Helper()
	opts = append([]durable.StartOption{durable.WithInstanceID(id)}, opts...)
	res, err := durabletest.Run[json.RawMessage](testContext(t), rt, orchestrator, input, opts...)
	if err != nil {
		t.Fatal(err)
	}
	st, err := json.Marshal(res.Status)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := json.Marshal(res.History)
	if err != nil {
		t.Fatal(err)
	}
	return saved{api: savedStatus(t, rt, id), status: st, events: evs}
}

func checkoutRuntime(t *testing.T) *durabletest.Runtime {
	rt := durabletest.New(t)
	_ = rt.RegisterOrchestrator("Checkout", Checkout)
	rt.OnActivity("Charge", func(_ context.Context, o Order) (int, error) { return o.Amount, nil })
	rt.OnSubOrchestrator("Ship", func(_ *orchestrator.Context, o Order) (string, error) { return "label-" + o.ID, nil })
	return rt
}

// SlowFirst waits for a child that waits a day and an activity that answers at once:
// the later action completes first, so the saved history lists it first.
func SlowFirst(ctx *orchestrator.Context) (string, error) {
	slow := orchestrator.CallSubOrchestrator[string](ctx, "Slow", nil)
	fast := orchestrator.CallActivity[string](ctx, "Fast", nil)
	if err := orchestrator.WhenAll(ctx, slow, fast); err != nil {
		return "", err
	}
	a, _ := slow.Await()
	b, _ := fast.Await()
	return a + b, nil
}

func FastFirst(ctx *orchestrator.Context) (string, error) {
	fast := orchestrator.CallActivity[string](ctx, "Fast", nil)
	slow := orchestrator.CallSubOrchestrator[string](ctx, "Slow", nil)
	if err := orchestrator.WhenAll(ctx, slow, fast); err != nil {
		return "", err
	}
	a, _ := slow.Await()
	b, _ := fast.Await()
	return a + b, nil
}

func TestReplay(t *testing.T) {
	rt := checkoutRuntime(t)
	rt.OnActivity("Fast", func(context.Context) (string, error) { return "fast", nil })
	rt.OnSubOrchestrator("Slow", func(ctx *orchestrator.Context) (string, error) {
		return "slow", ctx.CreateTimer(24 * time.Hour).Await()
	})
	checkout := record(t, rt, "Checkout", Order{ID: "o-1", Amount: 42}, "order-1")
	fanOut := record(t, rt, SlowFirst, nil, "fan-out")
	if !strings.Contains(string(fanOut.api), `"SubOrchestrationInstanceCompleted"`) ||
		strings.Index(string(fanOut.api), `"TaskCompleted"`) > strings.Index(string(fanOut.api), `"SubOrchestrationInstanceCompleted"`) {
		t.Fatalf("the fan-out's activity did not complete first:\n%s", fanOut.api)
	}
	for _, c := range []struct {
		name    string
		history saved
		code    any
		step    int64 // -1: replays cleanly
		differs string
	}{
		{"unchanged", checkout, Checkout, -1, ""},
		{"reordered", checkout, CheckoutShippingFirst, 0, `SubOrchestrationInstanceCreated "Ship"`},
		{"step removed", checkout, func(ctx *orchestrator.Context, o Order) (Receipt, error) {
			n, err := orchestrator.CallActivity[int](ctx, "Charge", o).Await()
			return Receipt{Charged: n}, err
		}, 1, "nothing (it returned)"},
		{"step added", checkout, func(ctx *orchestrator.Context, o Order) (Receipt, error) {
			if _, err := orchestrator.CallActivity[int](ctx, "Charge", o).Await(); err != nil {
				return Receipt{}, err
			}
			_, err := orchestrator.CallActivity[string](ctx, "Audit", o).Await()
			return Receipt{}, err
		}, 1, `TaskScheduled "Audit"`},
		{"fan-out completed out of order", fanOut, SlowFirst, -1, ""},
		{"fan-out reordered", fanOut, FastFirst, 0, `TaskScheduled "Fast"`},
	} {
		for form, b := range map[string][]byte{"api": c.history.api, "status": c.history.status, "events": c.history.events} {
			t.Run(c.name+"/"+form, func(t *testing.T) {
				err := durabletest.Replay(b, c.code)
				var nd *orchestrator.NonDeterminismError
				switch {
				case c.step < 0 && err != nil:
					t.Fatalf("a history replayed against its own code: %v", err)
				case c.step < 0:
				case !errors.As(err, &nd):
					t.Fatalf("changed code replayed: %v, want a non-determinism error", err)
				case nd.Step != c.step || !strings.Contains(nd.Code, c.differs):
					t.Fatalf("reported step %d, code did %s; want step %d, %s", nd.Step, nd.Code, c.step, c.differs)
				}
			})
		}
	}
}

func TestReplayRefusesWhatItCannotReplay(t *testing.T) {
	rt := checkoutRuntime(t)
	h := record(t, rt, "Checkout", Order{ID: "o-1"}, "order-1")
	noIDs := strings.ReplaceAll(string(h.api), `"EventId"`, `"Ignored"`)
	noResults := savedWithout(t, rt, "order-1", "showHistoryOutput=true")
	for _, c := range []struct {
		name  string
		saved string
		code  any
		want  string
	}{
		{"empty", "  ", Checkout, "empty"},
		{"not JSON", "history", Checkout, "not a JSON object or array"},
		{"broken JSON", `{"historyEvents": [`, Checkout, "read the saved history"},
		{"no history", `{"instanceId": "x", "runtimeStatus": "Completed"}`, Checkout, "neither historyEvents"},
		{"status without history", `{"History": []}`, Checkout, "no events"},
		{"no event ids", noIDs, Checkout, "no EventId"},
		{"no results", string(noResults), Checkout, "showHistoryOutput=true"},
		{"unknown event", `{"historyEvents": [{"EventType": "Nap", "Timestamp": "2030-01-01T00:00:00Z"}]}`, Checkout, `unknown EventType "Nap"`},
		{"bad time", `{"historyEvents": [{"EventType": "ExecutionStarted", "Timestamp": "noon"}]}`, Checkout, `Timestamp "noon"`},
		{"not an orchestrator", string(h.api), func(string) {}, "orchestrator"},
		{"code fails where it completed", string(h.api), func(ctx *orchestrator.Context, o Order) (Receipt, error) {
			if _, err := Checkout(ctx, o); err != nil {
				return Receipt{}, err
			}
			return Receipt{}, errors.New("broken")
		}, "the history ends Completed, but replayed the code ends Failed: broken"},
		{"code panics", string(h.api), func(ctx *orchestrator.Context, o Order) (Receipt, error) {
			if _, err := Checkout(ctx, o); err != nil {
				return Receipt{}, err
			}
			panic("boom")
		}, "panicked during replay: boom"},
		{"code waits where it completed", string(h.api), func(ctx *orchestrator.Context, o Order) (Receipt, error) {
			if _, err := Checkout(ctx, o); err != nil {
				return Receipt{}, err
			}
			return orchestrator.WaitForExternalEvent[Receipt](ctx, "Confirmed").Await()
		}, "the history ends Completed, but replayed the code does not end"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := durabletest.Replay([]byte(c.saved), c.code)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v, want an error saying %q", err, c.want)
			}
		})
	}
	if err := durabletest.ReplayFile("testdata/missing.json", Checkout); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("a missing file: %v", err)
	}
}

// savedWithout returns the instance's HTTP status asked for without the given option.
func savedWithout(t *testing.T, rt *durabletest.Runtime, id, option string) []byte {
	rec := httptest.NewRecorder()
	q := strings.ReplaceAll("showHistory=true&showHistoryOutput=true", option, "")
	httpapi.New(rt.Client(), httpapi.Options{}).ServeHTTP(rec,
		httptest.NewRequest(http.MethodGet, httpapi.BasePath+"/instances/"+id+"?"+q, nil))
	return rec.Body.Bytes()
}

// TestRecordCheckout records testdata/checkout.json, the saved history the README's
// test and the ReplayFile example replay, as the HTTP API serves it.
func TestRecordCheckout(t *testing.T) {
	if !*update {
		t.Skip("run with -update to record testdata/checkout.json again")
	}
	h := record(t, checkoutRuntime(t), "Checkout", Order{ID: "o-7", Amount: 70}, "order-7")
	var b bytes.Buffer
	if err := json.Indent(&b, h.api, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/checkout.json", append(b.Bytes(), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
