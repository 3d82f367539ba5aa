package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// static is the page's root: index.html and the assets it loads by relative URL.
var static = func() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	return sub
}()

// etags holds a content hash per file. Embedded files carry no modification time, so
// without it a browser would either re-download every asset on each load or keep a stale
// copy after an upgrade; with it, "no-cache" costs one 304 per asset.
var etags = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m["/"+p] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return nil
	})
	return m
}()

// csp allows only this origin: the page loads nothing from elsewhere and talks only to
// the management API beside it, so an injected script or a payload rendered by mistake
// can neither run inline nor send data away.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the dashboard: a single page that reads the Durable Functions HTTP
// management API (/runtime/webhooks/durabletask/...) of the same origin.
//
// It expects to be the root of its own path prefix, for example
//
//	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", dashboard.Handler()))
//
// Every asset is loaded by relative URL, so any prefix works. The page keeps its own
// navigation in the URL fragment, so the server only ever sees requests for "/" and the
// assets. When the API needs a key, open the page with ?code=KEY: the page passes it on.
func Handler() http.Handler {
	fileServer := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		if p == "" {
			// Mounted with StripPrefix and asked for the prefix without its slash: the
			// page's relative asset URLs only resolve under the slash, so add it.
			redirectToSlash(w, r)
			return
		}
		if p != "/" && strings.HasSuffix(p, "/") {
			// No directory listings: the page needs none and they would only leak names.
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		lookup := p
		if lookup == "/" {
			lookup = "/index.html"
		}
		if tag, ok := etags[lookup]; ok {
			h.Set("ETag", tag)
		}
		fileServer.ServeHTTP(w, r)
	})
}

// redirectToSlash answers a request for the mount point itself ("/dashboard") with a
// relative redirect to "dashboard/", which the browser resolves against the URL it
// asked for, so it works whatever the prefix was.
func redirectToSlash(w http.ResponseWriter, r *http.Request) {
	orig := r.URL.RawPath
	if r.RequestURI != "" {
		orig, _, _ = strings.Cut(r.RequestURI, "?")
	}
	target := path.Base(orig) + "/"
	if target == "//" || target == "./" {
		target = "/"
	}
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusMovedPermanently)
}
