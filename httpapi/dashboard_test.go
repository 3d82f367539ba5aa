package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// What the dashboard reads beyond the reference API: newest-first listings, the parent
// of a sub-orchestration, and who holds an entity locked.

func TestListNewestFirst(t *testing.T) {
	prefix := unique("newest") + "-"
	// Started in this order, so neither id order nor its reverse is newest first.
	for _, s := range []string{"b", "d", "a", "c"} {
		p := startOK(t, "Echo", prefix+s, `1`)
		pollStatus(t, p["statusQueryGetUri"].(string), "Completed")
	}
	want := []string{prefix + "c", prefix + "a", prefix + "d", prefix + "b"}
	list := "/instances?newestFirst=true&instanceIdPrefix=" + url.QueryEscape(prefix)
	r := call(t, "GET", api(list), "")
	expect(t, r, http.StatusOK)
	if got := instanceIDs(t, r); !slices.Equal(got, want) {
		t.Fatalf("newest first: %v, want %v", got, want)
	}
	var paged []string
	for token := ""; ; {
		r := call(t, "GET", api(list+"&top=1"), "", "x-ms-continuation-token", token)
		expect(t, r, http.StatusOK)
		paged = append(paged, instanceIDs(t, r)...)
		if token = r.header.Get("x-ms-continuation-token"); token == "" {
			break
		}
		if len(paged) > len(want) {
			t.Fatalf("paging does not end: %v", paged)
		}
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged newest first: %v, want %v", paged, want)
	}
	expect(t, call(t, "GET", api("/instances?newestFirst=soon"), ""), http.StatusBadRequest)
	// A token of a listing by id is not one of a newest-first listing.
	r = call(t, "GET", api("/instances?top=1&instanceIdPrefix="+url.QueryEscape(prefix)), "")
	r = call(t, "GET", api(list), "", "x-ms-continuation-token", r.header.Get("x-ms-continuation-token"))
	expect(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "newest-first") {
		t.Fatalf("the refusal does not say why: %s", r.body)
	}
}

func instanceIDs(t *testing.T, r response) []string {
	t.Helper()
	var ids []string
	for _, e := range r.array(t) {
		ids = append(ids, e.(map[string]any)["instanceId"].(string))
	}
	return ids
}

// TestHistoryNamesParent: the child's ExecutionStarted names the orchestration that
// started it, as the reference's ParentInstance does, and the parent's history names
// the child.
func TestHistoryNamesParent(t *testing.T) {
	p := startOK(t, "Showcase", "", "")
	u := p["statusQueryGetUri"].(string)
	var sub map[string]any
	eventually(t, "Showcase's child to complete", func() bool {
		evs, _ := call(t, "GET", u+"?showHistory=true", "").object(t)["historyEvents"].([]any)
		for _, e := range evs {
			if m := e.(map[string]any); m["EventType"] == "SubOrchestrationInstanceCompleted" {
				sub = m
			}
		}
		return sub != nil
	})
	child, _ := sub["InstanceId"].(string)
	if child == "" {
		t.Fatalf("the child is not named: %v", sub)
	}
	r := call(t, "GET", api("/instances/"+url.PathEscape(child)+"?showHistory=true"), "")
	expect(t, r, http.StatusOK)
	started := event(t, r.object(t)["historyEvents"].([]any), "ExecutionStarted")
	parent, _ := started["ParentInstance"].(map[string]any)
	oi, _ := parent["OrchestrationInstance"].(map[string]any)
	if parent["Name"] != "Showcase" || oi["InstanceId"] != p["id"] || oi["ExecutionId"] == "" ||
		parent["TaskScheduleId"] == nil || parent["TaskScheduleId"] != sub["EventId"] {
		t.Fatalf("ParentInstance: %v; the child was started by %v", parent, sub)
	}
	// A top-level instance has no parent.
	top := event(t, call(t, "GET", u+"?showHistory=true", "").object(t)["historyEvents"].([]any), "ExecutionStarted")
	if _, ok := top["ParentInstance"]; ok {
		t.Fatalf("a top-level instance names a parent: %v", top)
	}
	expect(t, call(t, "POST", strings.ReplaceAll(p["sendEventPostUri"].(string), "{eventName}", "Go"), `"go"`), http.StatusAccepted)
}

// TestEntityLockHolder: the listing and ?metadata=true name the orchestration that
// holds an entity locked, until it lets go.
func TestEntityLockHolder(t *testing.T) {
	key := unique("locked")
	ent := api("/entities/Counter/" + key)
	expect(t, call(t, "POST", ent+"?op=Add", "2"), http.StatusAccepted)
	eventually(t, "the counter's state", func() bool { return call(t, "GET", ent, "").code == http.StatusOK })
	holder := startOK(t, "HoldCounter", "", `"`+key+`"`)
	id := holder["id"].(string)
	metadata := func() map[string]any {
		r := call(t, "GET", ent+"?metadata=true", "")
		expect(t, r, http.StatusOK)
		return r.object(t)
	}
	eventually(t, "the lock to be held", func() bool { return metadata()["lockedBy"] == id })
	m := metadata()
	if !jsonEq(t, m["entityId"], `{"name":"counter","key":"`+key+`"}`) || !jsonEq(t, m["state"], `{"Value":2}`) {
		t.Fatalf("metadata: %v", m)
	}
	if _, err := time.Parse(time.RFC3339, m["lastOperationTime"].(string)); err != nil {
		t.Fatalf("lastOperationTime: %v", m)
	}
	r := call(t, "GET", api("/entities/Counter"), "")
	expect(t, r, http.StatusOK)
	listed := false
	for _, e := range r.array(t) {
		o := e.(map[string]any)
		if o["entityId"].(map[string]any)["key"] == key {
			listed = o["lockedBy"] == id
		}
	}
	if !listed {
		t.Fatalf("the listing does not name %s as the lock holder: %s", id, r.body)
	}
	expect(t, call(t, "POST", strings.ReplaceAll(holder["sendEventPostUri"].(string), "{eventName}", "Release"), ""), http.StatusAccepted)
	eventually(t, "the lock to be released", func() bool { _, held := metadata()["lockedBy"]; return !held })
	expect(t, call(t, "GET", ent+"?metadata=maybe", ""), http.StatusBadRequest)
}

// TestPurgeByNameAndPrefix: purging by filter honours the name and id prefix a
// listing filters by, so a dashboard purges what it lists.
func TestPurgeByNameAndPrefix(t *testing.T) {
	prefix := unique("purged") + "-"
	for _, s := range []string{"echo-1", "echo-2"} {
		pollStatus(t, startOK(t, "Echo", prefix+s, "1")["statusQueryGetUri"].(string), "Completed")
	}
	pollStatus(t, startOK(t, "Failing", prefix+"failing", `"kept"`)["statusQueryGetUri"].(string), "Failed")
	elsewhere := startOK(t, "Echo", unique("kept"), "1")
	pollStatus(t, elsewhere["statusQueryGetUri"].(string), "Completed")

	from := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	r := call(t, "DELETE", api("/instances?createdTimeFrom="+from+"&name=Echo&instanceIdPrefix="+url.QueryEscape(prefix)), "")
	expect(t, r, http.StatusOK)
	if !jsonEq(t, r.json(t), `{"instancesDeleted":2}`) {
		t.Fatalf("purge by name and prefix: %s", r.body)
	}
	left := instanceIDs(t, call(t, "GET", api("/instances?instanceIdPrefix="+url.QueryEscape(prefix)), ""))
	if !slices.Equal(left, []string{prefix + "failing"}) {
		t.Fatalf("left under the prefix: %v", left)
	}
	expect(t, call(t, "GET", elsewhere["statusQueryGetUri"].(string), ""), http.StatusOK)
}
