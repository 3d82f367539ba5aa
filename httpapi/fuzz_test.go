package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable/httpapi"
)

// FuzzRouter sends arbitrary requests. Whatever it sends, the handler must not panic
// and must not answer 5xx, except the 500 a client asks for with
// returnInternalServerErrorOnFailure; every body it answers must be JSON.
func FuzzRouter(f *testing.F) {
	b := httpapi.BasePath
	for _, s := range []struct{ method, path, query, ctype, body string }{
		{"POST", "/api/orchestrators/Echo", "", "application/json", `{"a":1}`},
		{"POST", "/api/orchestrators/Echo/fuzz-1", "", "", `[1,2]`},
		{"POST", "/api/orchestrators/Nope", "", "", ``},
		{"POST", "/api/orchestrators/Echo", "timeout=0.5&pollingInterval=0.1", "", `"w"`},
		{"POST", "/api/orchestrators/Failing", "timeout=1e400&pollingInterval=-0", "", `"x"`},
		{"POST", b + "/orchestrators/Echo/%40x", "", "text/json", `{`},
		{"GET", b + "/instances", "top=2&runtimeStatus=Completed,Failed&showInput=false", "", ""},
		{"GET", b + "/instances", "createdTimeFrom=2020-01-01T00:00:00Z&createdTimeTo=2999-01-01", "", ""},
		{"GET", b + "/instances/fuzz-1", "showHistory=true&showHistoryOutput=true", "", ""},
		{"GET", b + "/instances/fuzz-1", "returnInternalServerErrorOnFailure=true", "", ""},
		{"DELETE", b + "/instances/fuzz-1", "", "", ""},
		{"DELETE", b + "/instances", "createdTimeFrom=2999-01-01", "", ""},
		{"POST", b + "/instances/fuzz-1/raiseEvent/E", "", "application/json", `"e"`},
		{"POST", b + "/instances/fuzz-1/terminate", "reason=x", "", ""},
		{"POST", b + "/instances/fuzz-1/suspend", "reason=x", "", ""},
		{"POST", b + "/instances/fuzz-1/resume", "", "", ""},
		{"POST", b + "/instances/fuzz-1/rewind", "", "", ""},
		{"POST", b + "/instances/fuzz-1/restart", "restartWithNewInstanceId=false", "", ""},
		{"GET", b + "/entities/Counter/k", "", "", ""},
		{"POST", b + "/entities/Counter/fuzz", "op=Add", "application/json", `1`},
		{"POST", b + "/entities/Counter/fuzz", "op=Add", "application/xml", `<a/>`},
		{"DELETE", b + "/entities/Counter/fuzz", "", "", ""},
		{"GET", b + "/entities", "fetchState=true&top=1", "", ""},
		{"GET", b + "/entities/Counter", "lastOperationTimeFrom=2020-01-01", "", ""},
		{"PUT", b + "/instances", "", "", ""},
		{"GET", "instances/%zz", "%", "", ""},
		{"CONNECT", "//x/../y", "", "", ""},
		{"GET", ".#", "0", "", ""}, // a "." segment: ServeMux would redirect, in HTML
		{"GET", b + "/instances/x/", "", "", ""},
	} {
		f.Add(s.method, s.path, s.query, s.ctype, s.body)
	}
	// Served in-process, without sockets, so that the fuzzer spends its time in the handler.
	h := httpapi.New(rt.Client(), httpapi.Options{MaxBodyBytes: 4096, Logger: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, method, path, query, ctype, body string) {
		if method == "" {
			method = "GET"
		}
		if !strings.HasPrefix(path, "/") {
			path = httpapi.BasePath + "/" + path // keep the fuzzer inside the API
		}
		u, err := url.Parse("http://fuzz.test" + path)
		if err != nil {
			u = &url.URL{Scheme: "http", Host: "fuzz.test", Path: path}
		}
		u.RawQuery = query
		// A deadline bounds wait mode and anything slow; the handler must answer
		// before it with something other than a 5xx.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req := (&http.Request{
			Method: method, URL: u, Host: "fuzz.test", Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		}).WithContext(ctx)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		q, _ := url.ParseQuery(query)
		if rec.Code >= 500 && !(rec.Code == 500 && q.Get("returnInternalServerErrorOnFailure") != "") {
			t.Fatalf("%s %s?%s: %d %s", method, path, query, rec.Code, rec.Body)
		}
		if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s?%s: body is not JSON: %q", method, path, query, rec.Body)
		}
	})
}

// FuzzDecodeRequest checks the body decoder against its contract: a blank body is no
// input, an oversized one is 413, a non-JSON content type 415, and otherwise exactly
// the valid JSON documents pass, unchanged but for surrounding whitespace.
func FuzzDecodeRequest(f *testing.F) {
	const limit = 64
	for _, s := range []struct {
		ctype string
		body  []byte
	}{
		{"application/json", []byte(`{"name":"Johnny"}`)},
		{"", []byte(` "approved" `)},
		{"text/json; charset=utf-8", []byte(`[1, 2.5e3, null, true]`)},
		{"application/json", []byte(`{"name":`)},
		{"application/json", []byte("\n\t ")},
		{"text/plain", []byte(`1`)},
		{"application/vnd.api+json", []byte(`{}`)},
		{"multipart/form-data; boundary", []byte(`1`)},
		{"application/json", bytes.Repeat([]byte("1"), limit+1)},
		{"application/json", []byte("\"\xff\"")},
		{"application/json", []byte(`1 2`)},
	} {
		f.Add(s.ctype, s.body)
	}
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		req := httptest.NewRequest("POST", "/x", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		got, err := httpapi.DecodeBody(httptest.NewRecorder(), req, limit)
		trimmed := bytes.TrimSpace(body)
		mt, _, ctErr := mime.ParseMediaType(ctype)
		jsonType := ctype == "" || ctErr == nil && (mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json"))
		status := 0
		if err != nil {
			status = httpapi.ErrorStatus(err)
		}
		switch {
		case len(body) > limit:
			if status != http.StatusRequestEntityTooLarge {
				t.Fatalf("%d bytes: status %d, want 413", len(body), status)
			}
		case len(trimmed) == 0:
			if err != nil || got != nil {
				t.Fatalf("blank body: %q %v", got, err)
			}
		case !jsonType:
			if status != http.StatusUnsupportedMediaType {
				t.Fatalf("content type %q: status %d, want 415", ctype, status)
			}
		case json.Valid(trimmed):
			if err != nil || !bytes.Equal(got, trimmed) {
				t.Fatalf("valid JSON %q: got %q, %v", body, got, err)
			}
		default:
			if status != http.StatusBadRequest {
				t.Fatalf("invalid JSON %q: status %d, want 400", body, status)
			}
		}
	})
}
