package httpapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/godurable/durable/httpapi"
)

func TestUnknownRoutes(t *testing.T) {
	for _, c := range []struct{ method, path string }{
		{"GET", httpapi.BasePath + "/nothing"},
		{"PUT", httpapi.BasePath + "/instances"},
		{"PATCH", httpapi.BasePath + "/instances/x"},
		{"GET", httpapi.BasePath + "/instances/x/terminate"},
		{"GET", "/api/orchestrators/Echo"},
		{"POST", httpapi.BasePath + "/instances/x/explode"},
		{"DELETE", httpapi.BasePath + "/entities/Counter"},
		{"GET", "/"},
	} {
		r := call(t, c.method, srv.URL+c.path, "")
		expect(t, r, http.StatusNotFound)
		if r.header.Get("Allow") != "" {
			t.Errorf("%s %s: Allow header on a 404", c.method, c.path)
		}
	}
	// The reference's extra parameters are accepted and ignored.
	expect(t, call(t, "GET", srv.URL+httpapi.BasePath+"/instances?taskHub=Hub&connection=Storage", ""), http.StatusOK)
}

func TestAPIKey(t *testing.T) {
	keyed := httptest.NewServer(httpapi.New(rt.Client(), httpapi.Options{APIKey: "s3cret+/="}))
	defer keyed.Close()
	list := keyed.URL + httpapi.BasePath + "/instances"
	expect(t, call(t, "GET", list, ""), http.StatusUnauthorized)
	expect(t, call(t, "GET", list+"?code=wrong", ""), http.StatusUnauthorized)
	expect(t, call(t, "GET", list, "", "x-functions-key", "wrong"), http.StatusUnauthorized)
	expect(t, call(t, "GET", keyed.URL+"/no/such/route", ""), http.StatusUnauthorized)
	expect(t, call(t, "GET", list+"?code=s3cret%2B%2F%3D", ""), http.StatusOK)
	expect(t, call(t, "GET", list, "", "x-functions-key", "s3cret+/="), http.StatusOK)

	// The URLs handed out carry the key, so they work as given.
	r := call(t, "POST", keyed.URL+"/api/orchestrators/WaitForever", "", "x-functions-key", "s3cret+/=")
	expect(t, r, http.StatusAccepted)
	p := r.object(t)
	if !strings.HasSuffix(p["statusQueryGetUri"].(string), "?code=s3cret%2B%2F%3D") ||
		!strings.HasSuffix(p["terminatePostUri"].(string), "/terminate?reason={text}&code=s3cret%2B%2F%3D") {
		t.Fatalf("payload: %s", r.body)
	}
	pollStatus(t, p["statusQueryGetUri"].(string), "Running")
	expect(t, call(t, "POST", strings.ReplaceAll(p["terminatePostUri"].(string), "{text}", "bye"), ""), http.StatusAccepted)
	expect(t, call(t, "DELETE", strings.TrimSuffix(p["purgeHistoryDeleteUri"].(string), "?code=s3cret%2B%2F%3D"), ""), http.StatusUnauthorized)
}

// A nil client makes every runtime call panic: the handler must answer 500 in JSON and
// log, not drop the connection.
func TestPanicsBecome500(t *testing.T) {
	var logs syncBuffer
	broken := httptest.NewServer(httpapi.New(nil, httpapi.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	defer broken.Close()
	r := call(t, "GET", broken.URL+httpapi.BasePath+"/instances/x", "")
	expect(t, r, http.StatusInternalServerError)
	if !strings.Contains(logs.String(), "panicked") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}

// syncBuffer is a log sink the server goroutines and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
