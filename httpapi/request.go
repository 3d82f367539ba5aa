package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/history"
)

// decodeBody reads an optional JSON request body of at most limit bytes. It returns
// nil for an absent or blank body, which the endpoints take as "no input" (JSON null).
// A body must be JSON: declared as application/json, text/json or a +json type, or not
// declared at all, since curl and many scripts send JSON without saying so.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64) (json.RawMessage, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, errorf(http.StatusBadRequest, "InvalidBody", "reading the request body: %v", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !isJSONType(mt) {
			return nil, errorf(http.StatusUnsupportedMediaType, "UnsupportedMediaType",
				"content type %q is not JSON: send application/json", ct)
		}
	}
	// Unmarshalling into a RawMessage validates without building values, and its
	// SyntaxError says where the JSON broke.
	var raw json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidJSON", "request body is not valid JSON: %v", err)
	}
	return b, nil
}

func isJSONType(mt string) bool {
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

func tooLarge(limit int64) error {
	return errorf(http.StatusRequestEntityTooLarge, "RequestTooLarge", "request body is over the %d-byte limit", limit)
}

// boolParam parses an optional boolean query parameter ("true", "false", "1", "0"...).
func boolParam(q url.Values, name string, def bool) (bool, error) {
	if !q.Has(name) {
		return def, nil
	}
	v := q.Get(name)
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badParam(name, v, "want true or false")
	}
	return b, nil
}

// intParam parses an optional non-negative integer query parameter; 0 means def.
func intParam(q url.Values, name string, def int) (int, error) {
	if !q.Has(name) {
		return def, nil
	}
	v := q.Get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badParam(name, v, "want a non-negative integer")
	}
	if n == 0 {
		return def, nil
	}
	return n, nil
}

// maxWaitSeconds bounds the start endpoint's wait mode: long enough for any sensible
// HTTP call, short enough that the seconds convert to a time.Duration without overflow.
const maxWaitSeconds = 24 * 60 * 60

// secondsParam parses an optional duration given in (possibly fractional) seconds.
func secondsParam(q url.Values, name string) (time.Duration, bool, error) {
	if !q.Has(name) {
		return 0, false, nil
	}
	v := q.Get(name)
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(s) || s < 0 || s > maxWaitSeconds {
		return 0, false, badParam(name, v, "want a number of seconds between 0 and 86400")
	}
	return time.Duration(s * float64(time.Second)), true, nil
}

// timeLayouts are the ISO 8601 spellings accepted for time filters. Times without a
// zone are UTC, as the reference API treats them.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// timeParam parses an optional ISO 8601 time; the zero time means "not given".
func timeParam(q url.Values, name string) (time.Time, error) {
	if !q.Has(name) {
		return time.Time{}, nil
	}
	v := strings.TrimSpace(q.Get(name))
	// An unencoded "+02:00" offset arrives as " 02:00": a query decodes '+' to a space.
	fixed := strings.Replace(v, " ", "+", 1)
	for _, layout := range timeLayouts {
		for _, s := range []string{v, fixed} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, badParam(name, v, "want an ISO 8601 time such as 2026-01-02T15:04:05Z")
}

// statusesParam parses runtimeStatus=a,b (repeatable, names case-insensitive).
func statusesParam(q url.Values) ([]durable.RuntimeStatus, error) {
	var out []durable.RuntimeStatus
	for _, v := range q["runtimeStatus"] {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			s, err := history.ParseRuntimeStatus(name)
			if err != nil {
				return nil, badParam("runtimeStatus", name,
					"want Pending, Running, Completed, ContinuedAsNew, Failed, Canceled, Terminated or Suspended")
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// continuationHeader carries paging tokens both ways, as in the reference API.
const continuationHeader = "x-ms-continuation-token"

// The runtime's continuation tokens are instance or entity ids, which may hold
// characters that do not survive an HTTP header (browsers read header values as
// Latin-1). The API hands them out base64url-encoded: opaque and header-safe.
func encodeToken(token string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(token))
}

// continuation reads the token of the page the client asks for ("" for the first).
func continuation(r *http.Request) (string, error) {
	return decodeToken(r.Header.Get(continuationHeader), "header "+continuationHeader)
}

// decodeToken decodes a token the API handed out, found where the message says.
func decodeToken(token, where string) (string, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", errorf(http.StatusBadRequest, "InvalidContinuationToken", "%s: not a token this API handed out", where)
	}
	return string(b), nil
}

// setContinuation tells the client how to ask for the next page; no header means the
// listing is complete.
func setContinuation(w http.ResponseWriter, token string) {
	if token != "" {
		w.Header().Set(continuationHeader, encodeToken(token))
	}
}

// origin is scheme://host of the request as the client addressed it. Behind a TLS
// terminating proxy the scheme comes from X-Forwarded-Proto; only http and https are
// taken from it, so the header cannot inject anything else into the URLs handed out.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		p, _, _ = strings.Cut(p, ",")
		if p = strings.ToLower(strings.TrimSpace(p)); p == "http" || p == "https" {
			scheme = p
		}
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

// requestURL is the absolute URL of the request itself, for Location on status polls.
func requestURL(r *http.Request) string {
	return origin(r) + r.URL.RequestURI()
}
