package httpapi

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/godurable/durable"
)

// BasePath is where the management API lives, as in Azure Durable Functions.
const BasePath = "/runtime/webhooks/durabletask"

// StarterPath is the prefix of the HTTP starter route the Durable Functions samples
// call: POST /api/orchestrators/{name}[/{instanceId}].
const StarterPath = "/api/orchestrators"

// DefaultMaxBodyBytes is the request body limit when Options.MaxBodyBytes is zero. It
// matches the runtime's default payload limit, so a body the API accepts is not then
// refused by the runtime for its size.
const DefaultMaxBodyBytes int64 = 1 << 20

// Options configures the handler. The zero value serves without authentication.
type Options struct {
	// APIKey, when set, must accompany every request as the query parameter code=KEY
	// or the header x-functions-key: KEY (the two ways Azure Functions accepts a
	// function key); other requests get 401. The URLs the API hands out then carry
	// code=KEY so that clients can follow them as they are.
	APIKey string
	// MaxBodyBytes caps request bodies (default DefaultMaxBodyBytes); larger ones get 413.
	MaxBodyBytes int64
	// Logger receives server-side failures and recovered panics (default slog.Default()).
	Logger *slog.Logger
	// MaxEventStreams bounds the event streams (GET BASE/events) open at once (default
	// DefaultMaxEventStreams); more are refused with 503.
	MaxEventStreams int
	// EventInterval is how often what the open event streams watch is read (default
	// DefaultEventInterval): once per interval for every stream that watches it.
	EventInterval time.Duration
}

// api holds what every handler needs.
type api struct {
	c       *durable.Client
	key     string
	maxBody int64
	log     *slog.Logger
	hub     *hub
}

// New returns the HTTP management API for the runtime behind c. It serves the
// paths under BasePath and StarterPath; mount it at the root of those paths without
// stripping prefixes (see the package documentation).
func New(c *durable.Client, opts Options) http.Handler {
	a := &api{c: c, key: opts.APIKey, maxBody: opts.MaxBodyBytes, log: opts.Logger,
		hub: newHub(opts.EventInterval, opts.MaxEventStreams)}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	mux := http.NewServeMux()
	for _, p := range []string{BasePath + "/orchestrators", StarterPath} {
		mux.HandleFunc("POST "+p+"/{name}", a.start)
		mux.HandleFunc("POST "+p+"/{name}/{instanceId}", a.start)
	}
	// "{$}" also takes the trailing-slash spelling of the collection.
	for _, p := range []string{BasePath + "/instances", BasePath + "/instances/{$}"} {
		mux.HandleFunc("GET "+p, a.list)
		mux.HandleFunc("DELETE "+p, a.purgeWhere)
	}
	mux.HandleFunc("GET "+BasePath+"/cluster", a.cluster)
	mux.HandleFunc("GET "+BasePath+"/events", a.events)
	inst := BasePath + "/instances/{id}"
	mux.HandleFunc("GET "+inst, a.status)
	mux.HandleFunc("DELETE "+inst, a.purge)
	mux.HandleFunc("POST "+inst+"/raiseEvent/{eventName}", a.raiseEvent)
	mux.HandleFunc("POST "+inst+"/terminate", a.terminate)
	mux.HandleFunc("POST "+inst+"/suspend", a.suspend)
	mux.HandleFunc("POST "+inst+"/resume", a.resume)
	mux.HandleFunc("POST "+inst+"/rewind", a.rewind)
	mux.HandleFunc("POST "+inst+"/restart", a.restart)
	ent := BasePath + "/entities"
	mux.HandleFunc("GET "+ent, a.listEntities)
	mux.HandleFunc("GET "+ent+"/{$}", a.listEntities)
	mux.HandleFunc("GET "+ent+"/{name}", a.listEntities)
	mux.HandleFunc("GET "+ent+"/{name}/{key}", a.getEntity)
	mux.HandleFunc("POST "+ent+"/{name}/{key}", a.signalEntity)
	mux.HandleFunc("DELETE "+ent+"/{name}/{key}", a.deleteEntity)
	// A catch-all pattern matches every method, so the mux never answers 405 on its own:
	// the reference API answers 404 to unknown routes and methods alike, and always in JSON.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, errorf(http.StatusNotFound, "NotFound", "no endpoint %s %s", r.Method, r.URL.Path))
	})
	return a.recoverPanics(RequireKey(a.key, canonicalOnly(a, mux)))
}

// canonicalOnly answers 404 to paths with empty, "." or ".." segments. ServeMux would
// redirect them to their cleaned form with an HTML body; the API never hands such
// paths out, and every answer it gives is JSON.
func canonicalOnly(a *api, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		clean := path.Clean(p)
		if strings.HasSuffix(p, "/") && clean != "/" {
			clean += "/"
		}
		if p == "" || clean != p {
			a.fail(w, r, errorf(http.StatusNotFound, "NotFound", "no endpoint %s %q: the path is not in canonical form", r.Method, p))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireKey answers 401 to requests that do not present key as ?code=KEY or in the
// x-functions-key header, and passes the others to next; an empty key lets everything
// through. The API runs it before routing, so that without the key nothing, not even
// which routes exist, can be learned; a service puts it before routes of its own that
// the same key guards (durable serve's /metrics). The comparison takes the same time
// whatever the key presented.
func RequireKey(key string, next http.Handler) http.Handler {
	if key == "" {
		return next
	}
	want := []byte(key)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("x-functions-key")
		if got == "" {
			got = r.URL.Query().Get("code")
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			status, body := describe(errorf(http.StatusUnauthorized, "Unauthorized",
				"missing or wrong API key: pass it as ?code=KEY or in the x-functions-key header"))
			writeJSON(w, status, body)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic in a handler into a logged 500 instead of a dropped
// connection. http.ErrAbortHandler is the deliberate way to abort and passes through.
func (a *api) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.log.Error("httpapi: handler panicked", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeJSON(w, http.StatusInternalServerError, errorBody{Error: "InternalError", Message: "internal error; the server log has the details"})
		}()
		next.ServeHTTP(w, r)
	})
}
