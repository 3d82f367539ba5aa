package httpapi

import (
	"encoding/json"
	"net/http"
)

// DecodeBody exposes the body decoder to the external tests, which fuzz it directly.
func DecodeBody(w http.ResponseWriter, r *http.Request, limit int64) (json.RawMessage, error) {
	return decodeBody(w, r, limit)
}

// ErrorStatus is the HTTP status the handler answers err with.
func ErrorStatus(err error) int {
	status, _ := classify(err)
	return status
}
