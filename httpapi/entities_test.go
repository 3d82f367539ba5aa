package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestEntities(t *testing.T) {
	key := unique("counter")
	ent := api("/entities/Counter/" + key)
	expect(t, call(t, "GET", ent, ""), http.StatusNotFound)
	expect(t, call(t, "POST", ent+"?op=Add", "5"), http.StatusAccepted)
	expect(t, call(t, "POST", ent+"?op=add", "3"), http.StatusAccepted)
	// The name is case-insensitive: this is the same entity.
	lower := api("/entities/counter/" + key)
	var r response
	eventually(t, "the counter to reach 8", func() bool {
		r = call(t, "GET", lower, "")
		return r.code == http.StatusOK && jsonEq(t, r.json(t), `{"Value":8}`)
	})
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("state answered as %q", ct)
	}

	expect(t, call(t, "POST", api("/entities/NoSuchEntity/k?op=Add"), "1"), http.StatusNotFound)
	expect(t, call(t, "POST", ent, "1"), http.StatusBadRequest)             // no op
	expect(t, call(t, "POST", ent+"?op=Add", `{"x`), http.StatusBadRequest) // bad JSON
	expect(t, call(t, "POST", ent+"?op=Add", `1`, "Content-Type", "application/xml"), http.StatusUnsupportedMediaType)
	expect(t, call(t, "POST", api("/entities/Counter/a%2Fb?op=Add"), "1"), http.StatusBadRequest) // '/' in the key
	expect(t, call(t, "GET", api("/entities/Counter/a%23b"), ""), http.StatusBadRequest)
	expect(t, call(t, "GET", api("/entities/a@b"), ""), http.StatusBadRequest)
	expect(t, call(t, "POST", api("/entities/Counter/"+key+"?op=Reset"), ""), http.StatusAccepted) // no body

	// Listing: one entity with its state, paged.
	other := unique("counter")
	expect(t, call(t, "POST", api("/entities/Counter/"+other+"?op=Add"), "1"), http.StatusAccepted)
	eventually(t, "the second counter", func() bool { return call(t, "GET", api("/entities/Counter/"+other), "").code == http.StatusOK })
	r = call(t, "GET", api("/entities/Counter?fetchState=true"), "")
	expect(t, r, http.StatusOK)
	found := false
	for _, e := range r.array(t) {
		o := e.(map[string]any)
		id := o["entityId"].(map[string]any)
		if id["key"] != other {
			continue
		}
		found = true
		if id["name"] != "counter" || !jsonEq(t, o["state"], `{"Value":1}`) {
			t.Fatalf("listed: %v", o)
		}
		if _, err := time.Parse(time.RFC3339, o["lastOperationTime"].(string)); err != nil {
			t.Fatalf("lastOperationTime: %v", o)
		}
	}
	if !found {
		t.Fatalf("%s not listed: %s", other, r.body)
	}
	for _, e := range call(t, "GET", api("/entities"), "").array(t) {
		if _, ok := e.(map[string]any)["state"]; ok {
			t.Fatalf("state without fetchState: %v", e)
		}
	}
	var keys []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("entity paging does not end")
		}
		hdr := []string{}
		if token != "" {
			hdr = []string{"x-ms-continuation-token", token}
		}
		r := call(t, "GET", api("/entities/Counter?top=1"), "", hdr...)
		expect(t, r, http.StatusOK)
		page := r.array(t)
		if len(page) > 1 {
			t.Fatalf("page of %d with top=1", len(page))
		}
		for _, e := range page {
			keys = append(keys, e.(map[string]any)["entityId"].(map[string]any)["key"].(string))
		}
		if token = r.header.Get("x-ms-continuation-token"); token == "" {
			break
		}
	}
	if len(keys) < 2 {
		t.Fatalf("paged keys %v", keys)
	}
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if r := call(t, "GET", api("/entities?lastOperationTimeFrom="+future), ""); string(r.body) != "[]\n" {
		t.Fatalf("future window: %s", r.body)
	}
	expect(t, call(t, "GET", api("/entities"), "", "x-ms-continuation-token", "%%%"), http.StatusBadRequest)
	for _, q := range []string{"fetchState=yes", "top=-2", "lastOperationTimeTo=later"} {
		expect(t, call(t, "GET", api("/entities?"+q), ""), http.StatusBadRequest)
	}

	// Delete is a signal: the state goes once it runs.
	expect(t, call(t, "DELETE", ent, ""), http.StatusAccepted)
	eventually(t, "the counter to be deleted", func() bool { return call(t, "GET", ent, "").code == http.StatusNotFound })
	expect(t, call(t, "DELETE", api("/entities/NoSuchEntity/k"), ""), http.StatusNotFound)
}

// Oversized keys and names are refused at the door, with what was wrong.
func TestOversizedNamesAreBadRequests(t *testing.T) {
	longKey := strings.Repeat("k", 65_001)
	r := call(t, "POST", api("/entities/Counter/"+longKey+"?op=Add"), "1")
	expect(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "at most 256") || len(r.body) > 1024 {
		t.Fatalf("answer to a 65,001-byte key: %.200s (%d bytes)", r.body, len(r.body))
	}
	expect(t, call(t, "POST", api("/entities/Counter/k?op="+strings.Repeat("o", 300)), "1"), http.StatusBadRequest)
	expect(t, call(t, "GET", api("/entities/Counter/a%E2%80%AEb"), ""), http.StatusBadRequest) // right-to-left override
	expect(t, call(t, "GET", api("/instances/a%FFb"), ""), http.StatusBadRequest)              // invalid UTF-8
}
