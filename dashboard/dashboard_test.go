package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/godurable/durable/dashboard"
)

// mounted serves the dashboard the way `durable serve` mounts it.
func mounted(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", dashboard.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestServesPageAndAssets(t *testing.T) {
	srv := mounted(t)
	res, body := get(t, srv.URL+"/dashboard/")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `<script type="module" src="js/app.js">`) {
		t.Fatalf("index: %d %.200s", res.StatusCode, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP: %q", csp)
	}
	// Every asset the page names by relative URL must be served, with a type the
	// browser accepts for it (module scripts are refused under a wrong MIME type).
	want := map[string]string{"style.css": "text/css", "favicon.svg": "image/svg+xml", "js/app.js": "text/javascript"}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"#:]+)"`).FindAllStringSubmatch(body, -1) {
		if _, ok := want[m[1]]; !ok {
			want[m[1]] = ""
		}
	}
	for _, js := range []string{"api.js", "dom.js", "live.js", "list.js", "instance.js", "timeline.js", "entities.js", "cluster.js"} {
		want["js/"+js] = "text/javascript"
	}
	for asset, typ := range want {
		res, _ := get(t, srv.URL+"/dashboard/"+asset)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), typ) {
			t.Errorf("%s: %d %q, want 200 %q", asset, res.StatusCode, res.Header.Get("Content-Type"), typ)
		}
	}
}

func TestNoExternalReferences(t *testing.T) {
	// The page must work offline: nothing it ships may load from another origin.
	srv := mounted(t)
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import\s+url\(\s*["']?(https?:)?//|fonts\.googleapis|cdn\.`)
	for _, asset := range []string{"", "style.css", "js/app.js", "js/api.js", "js/dom.js", "js/live.js", "js/list.js", "js/instance.js", "js/timeline.js", "js/entities.js", "js/cluster.js"} {
		_, body := get(t, srv.URL+"/dashboard/"+asset)
		if loc := external.FindString(body); loc != "" {
			t.Errorf("%s references another origin: %q", asset, loc)
		}
	}
}

func TestMountPointRedirectsToSlash(t *testing.T) {
	srv := mounted(t)
	mux := http.NewServeMux()
	// "/dashboard" itself reaches the handler only when mounted for it too.
	mux.Handle("/dashboard", http.StripPrefix("/dashboard", dashboard.Handler()))
	srv2 := httptest.NewServer(mux)
	defer srv2.Close()
	res, _ := get(t, srv2.URL+"/dashboard?code=k")
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "dashboard/?code=k" {
		t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// The usual mount gets there through the mux's own redirect.
	res, _ = get(t, srv.URL+"/dashboard")
	if loc := res.Header.Get("Location"); res.StatusCode/100 != 3 || loc != "/dashboard/" {
		t.Fatalf("%d %q", res.StatusCode, loc)
	}
}

func TestConditionalGetAndNoListings(t *testing.T) {
	srv := mounted(t)
	res, _ := get(t, srv.URL+"/dashboard/js/app.js")
	tag := res.Header.Get("ETag")
	if tag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", tag, res.Header.Get("Cache-Control"))
	}
	if res, _ := get(t, srv.URL+"/dashboard/js/app.js", "If-None-Match", tag); res.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", res.StatusCode)
	}
	if res, _ := get(t, srv.URL+"/dashboard/js/"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("directory listing: %d", res.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dashboard/", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", res.StatusCode)
	}
}
