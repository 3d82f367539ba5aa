package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/godurable/durable"
)

// errorBody is the one shape of every error answer: a stable machine-readable code
// and a sentence for people.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// apiError is an error the handlers detect themselves (bad parameters, bodies, routes),
// already carrying its HTTP status.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// badParam reports a query parameter that does not parse.
func badParam(name, value, want string) *apiError {
	return errorf(http.StatusBadRequest, "InvalidParameter", "query parameter %s=%q: %s", name, value, want)
}

// runtimeErrors maps the runtime's sentinel errors to statuses, in one place. Order
// matters only in that the first match wins; the sentinels are distinct.
var runtimeErrors = []struct {
	err    error
	status int
	code   string
}{
	{durable.ErrInstanceNotFound, http.StatusNotFound, "InstanceNotFound"},
	{durable.ErrEntityNotFound, http.StatusNotFound, "EntityNotFound"},
	{durable.ErrUnknownEntity, http.StatusNotFound, "UnknownEntity"},
	{durable.ErrInstanceExists, http.StatusConflict, "InstanceExists"},
	{durable.ErrWrongState, http.StatusConflict, "WrongState"},
	{durable.ErrInstanceFinished, http.StatusGone, "InstanceFinished"},
	{durable.ErrInvalidInput, http.StatusBadRequest, "InvalidInput"},
	{durable.ErrUnknownOrchestration, http.StatusBadRequest, "UnknownOrchestration"},
	{durable.ErrPayloadTooLarge, http.StatusRequestEntityTooLarge, "PayloadTooLarge"},
	{durable.ErrUnavailable, http.StatusServiceUnavailable, "Unavailable"},
	// The request's own context ends these: the client went away or the server is
	// shutting down, neither of which is an internal error worth a 500.
	{context.Canceled, http.StatusServiceUnavailable, "Canceled"},
	{context.DeadlineExceeded, http.StatusGatewayTimeout, "Timeout"},
}

// codeInstanceCorrupt answers a request for an instance whose journal entry is corrupt.
// It is a 500, as the fault is the server's, but not an anonymous one: the instance
// exists and cannot be served until it is restored or purged, which the client or an
// operator must be told rather than left to retry.
const codeInstanceCorrupt = "InstanceCorrupt"

// classify returns the status and code for err.
func classify(err error) (int, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, ae.code
	}
	if ce := (*durable.CorruptionError)(nil); errors.As(err, &ce) {
		return http.StatusInternalServerError, codeInstanceCorrupt
	}
	for _, m := range runtimeErrors {
		if errors.Is(err, m.err) {
			return m.status, m.code
		}
	}
	return http.StatusInternalServerError, "InternalError"
}

// fail answers err as JSON, and logs what the server should know of it.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := describe(err)
	a.logFailure(r, status, body.Error, err)
	if body.Error == "Unavailable" {
		// Nothing was recorded and nothing is wrong with the request: ask again later.
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, body)
}

// describe returns the status and body that answer err. Client mistakes carry the
// runtime's own explanation; server faults none of its internals.
func describe(err error) (int, errorBody) {
	status, code := classify(err)
	msg := err.Error()
	if ce := (*durable.CorruptionError)(nil); code == codeInstanceCorrupt && errors.As(err, &ce) {
		// Said in full: it names the instance and what is wrong, and holds nothing of
		// its data.
		msg = fmt.Sprintf("instance %q cannot be read: its journal entry is corrupt (%v); restore it from a backup or purge it", ce.InstanceID, err)
	} else if status == http.StatusInternalServerError {
		msg = "internal error; the server log has the details"
	}
	return status, errorBody{Error: code, Message: msg}
}

// logFailure logs err, answered with status and code, when the server should know of it.
func (a *api) logFailure(r *http.Request, status int, code string, err error) {
	switch {
	case code == codeInstanceCorrupt:
		var ce *durable.CorruptionError
		errors.As(err, &ce)
		a.log.Error("httpapi: instance is corrupt", "method", r.Method, "path", r.URL.Path, "instance", ce.InstanceID, "error", err)
	case status == http.StatusInternalServerError:
		a.log.Error("httpapi: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	case code == "Unavailable":
		a.log.Warn("httpapi: request not recorded", "method", r.Method, "path", r.URL.Path, "error", err)
	case status > 500:
		// A client that went away or a shutdown: worth noting, not alarming.
		a.log.Warn("httpapi: request cut short", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	}
}

// writeJSON encodes v before writing anything, so an encoding failure can still be
// answered with a proper 500. HTML escaping is off: the payloads hold URLs with '&'.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(errorBody{Error: "InternalError", Message: "response does not encode as JSON"})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeRawJSON answers a JSON document the runtime stored, as is; nothing stored is null.
func writeRawJSON(w http.ResponseWriter, status int, doc []byte) {
	body := rawJSON(doc)
	if body == nil {
		body = json.RawMessage("null")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
