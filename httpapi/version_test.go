package httpapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

var registerVersions sync.Once

// versioned registers Versioned at versions 1 and 2, the default: it answers with the
// version it runs, and a child started at its own version.
func versioned(t *testing.T) {
	registerVersions.Do(func() {
		fn := func(ctx *orchestrator.Context) (string, error) {
			child, err := orchestrator.CallSubOrchestrator[string](ctx, "VersionedChild", nil).Await()
			return ctx.Version() + "/" + child, err
		}
		child := func(ctx *orchestrator.Context) (string, error) { return ctx.Version(), nil }
		for _, err := range []error{
			rt.RegisterOrchestrator("Versioned", fn, durable.Version("1")),
			rt.RegisterOrchestrator("Versioned", fn, durable.DefaultVersion("2")),
			rt.RegisterOrchestrator("VersionedChild", child, durable.Version("1")),
			rt.RegisterOrchestrator("VersionedChild", child, durable.DefaultVersion("2")),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// The start route takes a version; the status, its history and the listing show it.
func TestStartAtAVersion(t *testing.T) {
	versioned(t)
	for _, c := range []struct{ query, id, want string }{
		{"?version=1", "versioned-1", "1"},
		{"", "versioned-default", "2"},
		{"?version=", "versioned-empty", "2"},
	} {
		startOK(t, "Versioned", c.id+c.query, "")
		done := pollStatus(t, api("/instances/"+c.id+"?showHistory=true"), "Completed")
		st := done.object(t)
		if st["version"] != c.want || st["output"] != c.want+"/"+c.want {
			t.Fatalf("%s: %s, want version %s", c.id, done.body, c.want)
		}
		events, _ := st["historyEvents"].([]any)
		var versions []string
		for _, ev := range events {
			e, _ := ev.(map[string]any)
			if v, ok := e["Version"].(string); ok {
				versions = append(versions, e["EventType"].(string)+"@"+v)
			}
		}
		if got, want := strings.Join(versions, " "), "ExecutionStarted@"+c.want+" SubOrchestrationInstanceCompleted@"+c.want; got != want {
			t.Errorf("%s: history versions %q, want %q", c.id, got, want)
		}
	}
	list := call(t, "GET", api("/instances?instanceIdPrefix=versioned-1"), "")
	expect(t, list, http.StatusOK)
	rows := list.array(t)
	for _, row := range rows { // the instance and its child
		if len(rows) != 2 || row.(map[string]any)["version"] != "1" {
			t.Fatalf("listing: %s", list.body)
		}
	}
	unversioned := pollStatus(t, api("/instances/"+startOK(t, "Echo", "", `"x"`)["id"].(string)), "Completed")
	if strings.Contains(string(unversioned.body), `"version"`) {
		t.Errorf("an unversioned instance shows a version: %s", unversioned.body)
	}
}

// A version no code is registered for is refused, naming it.
func TestStartAtAnUnknownVersion(t *testing.T) {
	versioned(t)
	r := call(t, "POST", api("/orchestrators/Versioned?version=9"), "")
	expect(t, r, http.StatusBadRequest)
	m := r.object(t)
	if m["error"] != "UnknownOrchestration" || !strings.Contains(m["message"].(string), `orchestrator "Versioned" has no version "9" (registered: "1", "2")`) {
		t.Fatalf("unknown version: %s", r.body)
	}
}
