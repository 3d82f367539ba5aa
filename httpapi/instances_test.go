package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable/httpapi"
)

var checkStatusFields = []string{
	"id", "statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "rewindPostUri",
	"purgeHistoryDeleteUri", "restartPostUri", "suspendPostUri", "resumePostUri",
}

// TestSeedRESTFlow is the acceptance check seed-rest, call for call.
func TestSeedRESTFlow(t *testing.T) {
	r := call(t, "POST", srv.URL+"/api/orchestrators/Onboarding",
		`{"name":"Johnny Lawrence","email":"johnny.lawrence@eaglefang.com","startdate":"01.02.2022","role":"developer"}`)
	expect(t, r, http.StatusAccepted)
	if r.header.Get("Location") == "" {
		t.Fatal("start: no Location header")
	}
	payload := r.object(t)
	for _, f := range checkStatusFields {
		if _, ok := payload[f]; !ok {
			t.Fatalf("start payload lacks %s: %s", f, r.body)
		}
	}
	done := pollStatus(t, payload["statusQueryGetUri"].(string), "Completed")
	if done.code != http.StatusOK {
		t.Fatalf("completed instance answered %d", done.code)
	}
	if out, _ := done.object(t)["output"].([]any); len(out) != 3 {
		t.Fatalf("onboarding result: %s", done.body)
	}

	r = call(t, "POST", srv.URL+"/api/orchestrators/OnboardingApproval",
		`{"name":"Daniel LaRusso","email":"daniel.larusso@miyagido.com","startdate":"15.02.2022","role":"sales"}`)
	expect(t, r, http.StatusAccepted)
	payload = r.object(t)
	status := payload["statusQueryGetUri"].(string)
	send := strings.ReplaceAll(payload["sendEventPostUri"].(string), "{eventName}", "ApprovalRequest")
	running := pollStatus(t, status, "Running")
	if running.code != http.StatusAccepted {
		t.Fatalf("a waiting instance answered %d, not 202", running.code)
	}
	expect(t, call(t, "POST", send, `"approved"`), http.StatusAccepted)
	done = pollStatus(t, status, "Completed")
	if done.code != http.StatusOK || done.object(t)["output"] != "Daniel LaRusso approved" {
		t.Fatalf("approval flow: %d %s", done.code, done.body)
	}
	expect(t, call(t, "POST", send, `"approved"`), http.StatusGone)
	expect(t, call(t, "POST", srv.URL+"/api/orchestrators/Onboarding", `{"name":`), http.StatusBadRequest)
}

func TestStartPayload(t *testing.T) {
	id := unique("start payload") // a space: the URLs must escape it
	r := call(t, "POST", api("/orchestrators/Echo/"+url.PathEscape(id)), `{"x":1}`)
	expect(t, r, http.StatusAccepted)
	p := r.object(t)
	if p["id"] != id {
		t.Fatalf("id %v, want %q", p["id"], id)
	}
	base := srv.URL + httpapi.BasePath + "/instances/" + url.PathEscape(id)
	want := map[string]string{
		"statusQueryGetUri":     base,
		"sendEventPostUri":      base + "/raiseEvent/{eventName}",
		"terminatePostUri":      base + "/terminate?reason={text}",
		"rewindPostUri":         base + "/rewind?reason={text}",
		"purgeHistoryDeleteUri": base,
		"restartPostUri":        base + "/restart",
		"suspendPostUri":        base + "/suspend?reason={text}",
		"resumePostUri":         base + "/resume?reason={text}",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %v, want %s", k, p[k], v)
		}
	}
	if r.header.Get("Location") != base || r.header.Get("Retry-After") != "10" {
		t.Errorf("Location %q, Retry-After %q", r.header.Get("Location"), r.header.Get("Retry-After"))
	}
	done := pollStatus(t, base, "Completed")
	if o := done.object(t); !jsonEq(t, o["input"], `{"x":1}`) || !jsonEq(t, o["output"], `{"x":1}`) {
		t.Fatalf("echo: %s", done.body)
	}

	// Behind a TLS-terminating proxy the URLs keep the client's scheme.
	r = call(t, "POST", api("/orchestrators/Echo"), "", "X-Forwarded-Proto", "https")
	expect(t, r, http.StatusAccepted)
	if s := r.object(t)["statusQueryGetUri"].(string); !strings.HasPrefix(s, "https://"+strings.TrimPrefix(srv.URL, "http://")) {
		t.Fatalf("forwarded scheme ignored: %s", s)
	}
}

func TestStartErrors(t *testing.T) {
	id := unique("dup")
	startOK(t, "WaitForever", id, "")
	defer call(t, "POST", api("/instances/"+id+"/terminate"), "")
	expect(t, call(t, "POST", api("/orchestrators/WaitForever/"+id), ""), http.StatusConflict)
	expect(t, call(t, "POST", api("/orchestrators/NoSuchOrchestrator"), ""), http.StatusBadRequest)
	expect(t, call(t, "POST", api("/orchestrators/Echo/@entity-like"), ""), http.StatusBadRequest)
	expect(t, call(t, "POST", api("/orchestrators/Echo/"+strings.Repeat("x", 300)), ""), http.StatusBadRequest)
	expect(t, call(t, "POST", api("/orchestrators/Echo/a%23b"), ""), http.StatusBadRequest)
	expect(t, call(t, "POST", api("/orchestrators/Echo"), `{"broken`), http.StatusBadRequest)
	expect(t, call(t, "POST", api("/orchestrators/Echo"), `1`, "Content-Type", "text/plain"), http.StatusUnsupportedMediaType)
	expect(t, call(t, "POST", api("/orchestrators/Echo"), `1`, "Content-Type", "bogus/;;"), http.StatusUnsupportedMediaType)
	expect(t, call(t, "POST", api("/orchestrators/Echo?timeout=abc&pollingInterval=1"), ""), http.StatusBadRequest)
	expect(t, call(t, "POST", api("/orchestrators/Echo?timeout=-1&pollingInterval=1"), ""), http.StatusBadRequest)
	// JSON spelled other ways is JSON; a blank body is no input.
	for _, ct := range []string{"text/json", "application/json; charset=utf-8", "application/problem+json"} {
		expect(t, call(t, "POST", api("/orchestrators/Echo"), `2`, "Content-Type", ct), http.StatusAccepted)
	}
	r := call(t, "POST", api("/orchestrators/Echo"), "  \n", "Content-Type", "text/plain")
	expect(t, r, http.StatusAccepted)
	done := pollStatus(t, r.object(t)["statusQueryGetUri"].(string), "Completed")
	if o := done.object(t); o["input"] != nil {
		t.Fatalf("blank body gave input %v", o["input"])
	}
}

func TestBodyLimit(t *testing.T) {
	small := httptest.NewServer(httpapi.New(rt.Client(), httpapi.Options{MaxBodyBytes: 64}))
	defer small.Close()
	big := `"` + strings.Repeat("x", 100) + `"`
	expect(t, call(t, "POST", small.URL+"/api/orchestrators/Echo", big), http.StatusRequestEntityTooLarge)
	expect(t, call(t, "POST", small.URL+httpapi.BasePath+"/instances/x/raiseEvent/E", big), http.StatusRequestEntityTooLarge)
	expect(t, call(t, "POST", small.URL+httpapi.BasePath+"/entities/Counter/k?op=Add", big), http.StatusRequestEntityTooLarge)
	// Without a Content-Length the limit still holds while reading.
	req, _ := http.NewRequest("POST", small.URL+"/api/orchestrators/Echo", strings.NewReader(big))
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversized body: %d", resp.StatusCode)
	}
	expect(t, call(t, "POST", small.URL+"/api/orchestrators/Echo", `"small"`), http.StatusAccepted)
}

func TestWaitMode(t *testing.T) {
	r := call(t, "POST", srv.URL+"/api/orchestrators/Echo?timeout=10&pollingInterval=1", `{"hello":"world"}`)
	if r.code != http.StatusOK || !jsonEq(t, r.json(t), `{"hello":"world"}`) {
		t.Fatalf("wait mode: %d %s", r.code, r.body)
	}
	// Still running when the time is up: the usual 202.
	r = call(t, "POST", srv.URL+"/api/orchestrators/WaitForever?timeout=0.05&pollingInterval=0.01", "")
	expect(t, r, http.StatusAccepted)
	p := r.object(t)
	call(t, "POST", strings.ReplaceAll(p["terminatePostUri"].(string), "{text}", "cleanup"), "")
	// Ended otherwise: the status tells how.
	r = call(t, "POST", srv.URL+"/api/orchestrators/Failing?timeout=10&pollingInterval=1", `"in wait mode"`)
	if r.code != http.StatusOK || r.object(t)["runtimeStatus"] != "Failed" {
		t.Fatalf("failed in wait mode: %d %s", r.code, r.body)
	}
	// Only one of the two parameters: no waiting.
	expect(t, call(t, "POST", srv.URL+"/api/orchestrators/Echo?timeout=10", `1`), http.StatusAccepted)
}

func TestStatus(t *testing.T) {
	expect(t, call(t, "GET", api("/instances/"+unique("missing")), ""), http.StatusNotFound)
	expect(t, call(t, "GET", api("/instances/%40bad"), ""), http.StatusBadRequest)

	id := unique("status")
	startOK(t, "WaitForever", id, `"the input"`)
	u := api("/instances/" + id + "?showInput=true")
	var r response
	eventually(t, "custom status", func() bool {
		r = call(t, "GET", u, "")
		return r.code == http.StatusAccepted && r.object(t)["customStatus"] != nil
	})
	if r.header.Get("Location") != u || r.header.Get("Retry-After") != "5" {
		t.Fatalf("running: Location %q Retry-After %q", r.header.Get("Location"), r.header.Get("Retry-After"))
	}
	o := r.object(t)
	for _, k := range []string{"name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime"} {
		if _, ok := o[k]; !ok {
			t.Fatalf("status lacks %s: %s", k, r.body)
		}
	}
	if _, ok := o["historyEvents"]; ok {
		t.Fatal("historyEvents without showHistory")
	}
	if o["name"] != "WaitForever" || o["instanceId"] != id || o["runtimeStatus"] != "Running" ||
		o["input"] != "the input" || o["output"] != nil || !jsonEq(t, o["customStatus"], `{"stage":"waiting"}`) {
		t.Fatalf("running status: %s", r.body)
	}
	for _, k := range []string{"createdTime", "lastUpdatedTime"} {
		s := o[k].(string)
		if ts, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") || time.Since(ts) > time.Minute {
			t.Fatalf("%s = %q", k, s)
		}
	}
	r = call(t, "GET", api("/instances/"+id+"?showInput=false"), "")
	if o := r.object(t); o["input"] != nil {
		t.Fatalf("showInput=false still shows input: %s", r.body)
	}
	expect(t, call(t, "GET", api("/instances/"+id+"?showHistory=maybe"), ""), http.StatusBadRequest)

	// Terminated: 200, the reason is the output.
	expect(t, call(t, "POST", api("/instances/"+id+"/terminate?reason=no+longer+needed"), ""), http.StatusAccepted)
	r = pollStatus(t, api("/instances/"+id), "Terminated")
	if r.code != http.StatusOK || r.object(t)["output"] != "no longer needed" {
		t.Fatalf("terminated: %d %s", r.code, r.body)
	}

	// Failed: 200 with the failure details, or 500 when asked to.
	p := startOK(t, "Failing", "", `"disk on fire"`)
	r = pollStatus(t, p["statusQueryGetUri"].(string), "Failed")
	out, _ := r.object(t)["output"].(map[string]any)
	if r.code != http.StatusOK || !strings.Contains(out["message"].(string), "boom: disk on fire") {
		t.Fatalf("failed: %d %s", r.code, r.body)
	}
	r = call(t, "GET", p["statusQueryGetUri"].(string)+"?returnInternalServerErrorOnFailure=true", "")
	if r.code != http.StatusInternalServerError || r.object(t)["runtimeStatus"] != "Failed" {
		t.Fatalf("returnInternalServerErrorOnFailure: %d %s", r.code, r.body)
	}
}

// event finds the first history event of type typ, failing when there is none.
func event(t *testing.T, evs []any, typ string) map[string]any {
	t.Helper()
	for _, e := range evs {
		if m := e.(map[string]any); m["EventType"] == typ {
			return m
		}
	}
	t.Fatalf("no %s event in %v", typ, evs)
	return nil
}

func TestHistoryProjection(t *testing.T) {
	p := startOK(t, "Showcase", "", "")
	u := p["statusQueryGetUri"].(string)
	eventually(t, "the Showcase instance to wait for Go", func() bool {
		o := call(t, "GET", u+"?showHistory=true", "").object(t)
		evs, _ := o["historyEvents"].([]any)
		for _, e := range evs {
			if e.(map[string]any)["EventType"] == "TaskFailed" {
				return true
			}
		}
		return false
	})
	expect(t, call(t, "POST", strings.ReplaceAll(p["sendEventPostUri"].(string), "{eventName}", "Go"), `"go"`), http.StatusAccepted)
	pollStatus(t, u, "Completed")

	r := call(t, "GET", u+"?showHistory=true", "")
	expect(t, r, http.StatusOK)
	evs := r.object(t)["historyEvents"].([]any)
	for _, e := range evs {
		m := e.(map[string]any)
		switch m["EventType"] {
		case "OrchestratorStarted", "OrchestratorCompleted", "TaskScheduled", "SubOrchestrationInstanceCreated":
			t.Fatalf("%v should not be shown: %s", m["EventType"], r.body)
		}
		if _, err := time.Parse(time.RFC3339Nano, m["Timestamp"].(string)); err != nil {
			t.Fatalf("Timestamp %v", m["Timestamp"])
		}
		if _, ok := m["Result"]; ok {
			t.Fatalf("Result without showHistoryOutput: %v", m)
		}
	}
	if first, last := evs[0].(map[string]any), evs[len(evs)-1].(map[string]any); first["EventType"] != "ExecutionStarted" ||
		first["FunctionName"] != "Showcase" || last["EventType"] != "ExecutionCompleted" || last["OrchestrationStatus"] != "Completed" {
		t.Fatalf("first %v, last %v", first, last)
	}
	tc := event(t, evs, "TaskCompleted")
	if tc["FunctionName"] != "Greet" || tc["Input"] != "a" || tc["ScheduledTime"] == nil {
		t.Fatalf("TaskCompleted: %v", tc)
	}
	tf := event(t, evs, "TaskFailed")
	if fd, _ := tf["FailureDetails"].(map[string]any); tf["FunctionName"] != "Boom" || fd == nil || !strings.Contains(fd["message"].(string), "boom: caught") {
		t.Fatalf("TaskFailed: %v", tf)
	}
	if sc := event(t, evs, "SubOrchestrationInstanceCompleted"); sc["FunctionName"] != "Echo" || sc["Input"] != "child-in" {
		t.Fatalf("SubOrchestrationInstanceCompleted: %v", sc)
	}
	if er := event(t, evs, "EventRaised"); er["Name"] != "Go" || er["Input"] != "go" {
		t.Fatalf("EventRaised: %v", er)
	}
	event(t, evs, "TimerCreated")
	event(t, evs, "TimerFired")

	// With showHistoryOutput the results appear; with showInput=false the inputs go.
	evs = call(t, "GET", u+"?showHistory=true&showHistoryOutput=true&showInput=false", "").object(t)["historyEvents"].([]any)
	if tc := event(t, evs, "TaskCompleted"); tc["Result"] != "Hello a" || tc["Input"] != nil {
		t.Fatalf("TaskCompleted with output, without input: %v", tc)
	}
	if ec := event(t, evs, "ExecutionCompleted"); ec["Result"] != "Hello a+go" {
		t.Fatalf("ExecutionCompleted: %v", ec)
	}
}

func TestList(t *testing.T) {
	prefix := unique("list") + "-"
	var ids []string
	// The last id is not ASCII: its continuation token must still cross a header intact.
	for i, suffix := range []string{"a", "b", "c", "d", "é"} {
		id := prefix + suffix
		ids = append(ids, id)
		startOK(t, "Echo", url.PathEscape(id), `{"i":`+string(rune('0'+i))+`}`)
	}
	failed := startOK(t, "Failing", prefix+"z", `"listed"`)
	pollStatus(t, failed["statusQueryGetUri"].(string), "Failed")
	for _, id := range ids {
		pollStatus(t, api("/instances/"+url.PathEscape(id)), "Completed")
	}

	// Page through the Completed ones two at a time.
	var seen []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		hdr := []string{}
		if token != "" {
			hdr = []string{"x-ms-continuation-token", token}
		}
		r := call(t, "GET", api("/instances?top=2&runtimeStatus=completed&instanceIdPrefix="+url.QueryEscape(prefix)), "", hdr...)
		expect(t, r, http.StatusOK)
		page := r.array(t)
		if len(page) > 2 {
			t.Fatalf("page of %d with top=2", len(page))
		}
		for _, e := range page {
			o := e.(map[string]any)
			if o["runtimeStatus"] != "Completed" || o["input"] == nil || o["output"] == nil {
				t.Fatalf("listed: %v", o)
			}
			seen = append(seen, o["instanceId"].(string))
		}
		token = r.header.Get("x-ms-continuation-token")
		if token == "" {
			break
		}
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Fatalf("paged %v, want %v", seen, ids)
	}

	r := call(t, "GET", api("/instances?runtimeStatus=FAILED,Completed&showInput=false&instanceIdPrefix="+url.QueryEscape(prefix)), "")
	all := r.array(t)
	if len(all) != 6 {
		t.Fatalf("%d instances, want 6: %s", len(all), r.body)
	}
	for _, e := range all {
		if o := e.(map[string]any); o["input"] != nil || o["output"] == nil {
			t.Fatalf("showInput=false: %v", o)
		}
	}
	if r := call(t, "GET", api("/instances?runtimeStatus=Failed&instanceIdPrefix="+url.QueryEscape(prefix)), ""); len(r.array(t)) != 1 {
		t.Fatalf("failed only: %s", r.body)
	}
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if r := call(t, "GET", api("/instances?createdTimeFrom="+future+"&instanceIdPrefix="+url.QueryEscape(prefix)), ""); r.code != http.StatusOK || string(r.body) != "[]\n" {
		t.Fatalf("future window: %d %q", r.code, r.body)
	}
	past := url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)) // a local offset, escaped
	if r := call(t, "GET", api("/instances?createdTimeFrom="+past+"&createdTimeTo="+future+"&instanceIdPrefix="+url.QueryEscape(prefix)), ""); len(r.array(t)) != 6 {
		t.Fatalf("past..future: %s", r.body)
	}
	for _, q := range []string{"runtimeStatus=Sleeping", "createdTimeFrom=yesterday", "top=-1", "top=x", "showInput=2"} {
		expect(t, call(t, "GET", api("/instances?"+q), ""), http.StatusBadRequest)
	}
	expect(t, call(t, "GET", api("/instances/"), ""), http.StatusOK)
	expect(t, call(t, "GET", api("/instances"), "", "x-ms-continuation-token", "not base64!"), http.StatusBadRequest)
}

func TestListByName(t *testing.T) {
	prefix := unique("byname") + "-"
	startOK(t, "Echo", prefix+"echo", `1`)
	failed := startOK(t, "Failing", prefix+"failing", `"by name"`)
	pollStatus(t, failed["statusQueryGetUri"].(string), "Failed")
	pollStatus(t, api("/instances/"+prefix+"echo"), "Completed")

	within := "&instanceIdPrefix=" + url.QueryEscape(prefix)
	for name, want := range map[string]string{"Echo": prefix + "echo", "Failing": prefix + "failing"} {
		r := call(t, "GET", api("/instances?name="+name+within), "")
		expect(t, r, http.StatusOK)
		page := r.array(t)
		if len(page) != 1 || page[0].(map[string]any)["instanceId"] != want {
			t.Fatalf("name=%s: %s", name, r.body)
		}
	}
	// The name is exact: neither another case nor a prefix of it matches.
	for _, name := range []string{"echo", "Ech", "NoSuchOrchestration"} {
		if r := call(t, "GET", api("/instances?name="+name+within), ""); r.code != http.StatusOK || string(r.body) != "[]\n" {
			t.Fatalf("name=%s: %d %q", name, r.code, r.body)
		}
	}
	// Beside the other filters: Echo instances that failed, of which there are none.
	if r := call(t, "GET", api("/instances?name=Echo&runtimeStatus=Failed"+within), ""); string(r.body) != "[]\n" {
		t.Fatalf("name and status: %q", r.body)
	}
}

func TestPurge(t *testing.T) {
	expect(t, call(t, "DELETE", api("/instances/"+unique("nothing")), ""), http.StatusNotFound)

	p := startOK(t, "Echo", "", "1")
	pollStatus(t, p["statusQueryGetUri"].(string), "Completed")
	r := call(t, "DELETE", p["purgeHistoryDeleteUri"].(string), "")
	expect(t, r, http.StatusOK)
	if !jsonEq(t, r.json(t), `{"instancesDeleted":1}`) {
		t.Fatalf("purge: %s", r.body)
	}
	expect(t, call(t, "GET", p["statusQueryGetUri"].(string), ""), http.StatusNotFound)
	expect(t, call(t, "DELETE", p["purgeHistoryDeleteUri"].(string), ""), http.StatusNotFound)

	running := startOK(t, "WaitForever", "", "")
	expect(t, call(t, "DELETE", running["purgeHistoryDeleteUri"].(string), ""), http.StatusConflict)

	// By filter: only the two instances this test terminated fall in its window.
	from := time.Now().Add(-time.Millisecond).UTC().Format(time.RFC3339Nano)
	for range 2 {
		q := startOK(t, "WaitForever", "", "")
		expect(t, call(t, "POST", strings.ReplaceAll(q["terminatePostUri"].(string), "{text}", "purge+me"), ""), http.StatusAccepted)
		pollStatus(t, q["statusQueryGetUri"].(string), "Terminated")
	}
	expect(t, call(t, "DELETE", api("/instances?runtimeStatus=Terminated"), ""), http.StatusBadRequest)
	expect(t, call(t, "DELETE", api("/instances?createdTimeFrom=soon"), ""), http.StatusBadRequest)
	expect(t, call(t, "DELETE", api("/instances?createdTimeFrom="+from+"&runtimeStatus=Running"), ""), http.StatusBadRequest)
	r = call(t, "DELETE", api("/instances?createdTimeFrom="+url.QueryEscape(from)+"&runtimeStatus=Terminated"), "")
	expect(t, r, http.StatusOK)
	if !jsonEq(t, r.json(t), `{"instancesDeleted":2}`) {
		t.Fatalf("purge by filter: %s", r.body)
	}
	expect(t, call(t, "DELETE", api("/instances?createdTimeFrom="+url.QueryEscape(from)+"&runtimeStatus=Terminated"), ""), http.StatusNotFound)
	call(t, "POST", api("/instances/"+url.PathEscape(running["id"].(string))+"/terminate"), "")
}

func TestInstanceControls(t *testing.T) {
	missing := api("/instances/" + unique("ghost"))
	for _, op := range []string{"/terminate", "/suspend", "/resume", "/rewind", "/restart", "/raiseEvent/E"} {
		expect(t, call(t, "POST", missing+op, ""), http.StatusNotFound)
	}

	p := startOK(t, "WaitForever", "", "")
	u := p["statusQueryGetUri"].(string)
	pollStatus(t, u, "Running")
	ctl := func(key, reason string) string { return strings.ReplaceAll(p[key].(string), "{text}", reason) }
	expect(t, call(t, "POST", ctl("resumePostUri", "not+suspended"), ""), http.StatusConflict)
	expect(t, call(t, "POST", ctl("rewindPostUri", "not+failed"), ""), http.StatusConflict)
	expect(t, call(t, "POST", ctl("suspendPostUri", "hold"), ""), http.StatusAccepted)
	if r := pollStatus(t, u, "Suspended"); r.code != http.StatusAccepted {
		t.Fatalf("suspended answered %d", r.code)
	}
	expect(t, call(t, "POST", ctl("suspendPostUri", "again"), ""), http.StatusAccepted)
	expect(t, call(t, "POST", strings.ReplaceAll(p["sendEventPostUri"].(string), "{eventName}", "Other"), `{"held":true}`), http.StatusAccepted)
	expect(t, call(t, "POST", ctl("resumePostUri", "go+on"), ""), http.StatusAccepted)
	pollStatus(t, u, "Running")
	expect(t, call(t, "POST", ctl("terminatePostUri", "stop"), ""), http.StatusAccepted)
	pollStatus(t, u, "Terminated")
	for _, key := range []string{"terminatePostUri", "suspendPostUri", "resumePostUri", "rewindPostUri"} {
		expect(t, call(t, "POST", ctl(key, "late"), ""), http.StatusGone)
	}
	expect(t, call(t, "POST", strings.ReplaceAll(p["sendEventPostUri"].(string), "{eventName}", "Never"), `"x"`), http.StatusGone)
	expect(t, call(t, "POST", strings.ReplaceAll(p["sendEventPostUri"].(string), "{eventName}", "Never"), `{"x"`), http.StatusBadRequest)

	// Terminate without a reason: the output stays null.
	q := startOK(t, "WaitForever", "", "")
	expect(t, call(t, "POST", api("/instances/"+url.PathEscape(q["id"].(string))+"/terminate"), ""), http.StatusAccepted)
	if r := pollStatus(t, q["statusQueryGetUri"].(string), "Terminated"); r.object(t)["output"] != nil {
		t.Fatalf("terminate without reason: %s", r.body)
	}
}

func TestRewind(t *testing.T) {
	key := unique("rewind")
	p := startOK(t, "NeedsRewind", "", `"`+key+`"`)
	u := p["statusQueryGetUri"].(string)
	pollStatus(t, u, "Failed")
	expect(t, call(t, "POST", strings.ReplaceAll(p["rewindPostUri"].(string), "{text}", "outage+over"), ""), http.StatusAccepted)
	r := pollStatus(t, u, "Completed")
	if r.object(t)["output"] != "Hello "+key+"|ok "+key {
		t.Fatalf("after rewind: %s", r.body)
	}
	expect(t, call(t, "POST", strings.ReplaceAll(p["rewindPostUri"].(string), "{text}", "again"), ""), http.StatusGone)
}

func TestRestart(t *testing.T) {
	p := startOK(t, "Echo", "", `{"again":true}`)
	pollStatus(t, p["statusQueryGetUri"].(string), "Completed")
	r := call(t, "POST", p["restartPostUri"].(string), "")
	expect(t, r, http.StatusAccepted)
	np := r.object(t)
	if np["id"] == p["id"] || r.header.Get("Location") != np["statusQueryGetUri"] || r.header.Get("Retry-After") != "10" {
		t.Fatalf("restart with a new id: %s %v", r.body, r.header)
	}
	for _, f := range checkStatusFields {
		if np[f] == nil {
			t.Fatalf("restart payload lacks %s", f)
		}
	}
	if done := pollStatus(t, np["statusQueryGetUri"].(string), "Completed"); !jsonEq(t, done.object(t)["output"], `{"again":true}`) {
		t.Fatalf("restarted: %s", done.body)
	}
	r = call(t, "POST", p["restartPostUri"].(string)+"?restartWithNewInstanceId=false", "")
	expect(t, r, http.StatusAccepted)
	if r.object(t)["id"] != p["id"] {
		t.Fatalf("restart in place: %s", r.body)
	}
	pollStatus(t, p["statusQueryGetUri"].(string), "Completed")
	expect(t, call(t, "POST", p["restartPostUri"].(string)+"?restartWithNewInstanceId=perhaps", ""), http.StatusBadRequest)

	running := startOK(t, "WaitForever", "", "")
	expect(t, call(t, "POST", running["restartPostUri"].(string)+"?restartWithNewInstanceId=false", ""), http.StatusConflict)
	call(t, "POST", strings.ReplaceAll(running["terminatePostUri"].(string), "{text}", "done"), "")
}
