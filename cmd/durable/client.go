package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const base = "/runtime/webhooks/durabletask"

// apiClient calls a durable server's HTTP API.
type apiClient struct {
	server string
	key    string
	http   *http.Client
	// continuation asks for the next page of a listing; the Durable Functions API
	// carries it in a header.
	continuation string
}

// apiError is a refusal from the server: its status code, the API's error code (such
// as InstanceNotFound) and its message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, http.StatusText(e.status), e.message)
}

// do sends a request and returns the response body. Statuses in ok are successes;
// any other becomes an *apiError carrying the server's message.
func (c *apiClient) do(method, path string, query url.Values, body []byte, ok ...int) ([]byte, *http.Response, error) {
	if query == nil {
		query = url.Values{}
	}
	if c.key != "" {
		query.Set("code", c.key)
	}
	u := strings.TrimRight(c.server, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.continuation != "" {
		req.Header.Set("x-ms-continuation-token", c.continuation)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot reach %s: %w", c.server, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, resp, err
	}
	for _, code := range ok {
		if resp.StatusCode == code {
			return b, resp, nil
		}
	}
	return b, resp, refusal(resp.StatusCode, b)
}

// refusal reads an error answer: the API's JSON error body, or else its text.
func refusal(status int, b []byte) *apiError {
	var e struct{ Error, Message string }
	if json.Unmarshal(b, &e) == nil && (e.Message != "" || e.Error != "") {
		return &apiError{status: status, code: e.Error, message: cmp.Or(e.Message, e.Error)}
	}
	return &apiError{status: status, message: strings.TrimSpace(string(b))}
}

// waitingFor returns a copy of c whose requests may take d longer than usual, for a
// request the server holds on purpose.
func (c *apiClient) waitingFor(d time.Duration) *apiClient {
	wc := *c
	wc.http = &http.Client{Timeout: c.http.Timeout + d}
	return &wc
}

func instancePath(id string, rest ...string) string {
	p := base + "/instances/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// status is the instance status JSON of the API.
type status struct {
	Name            string          `json:"name"`
	Version         string          `json:"version"`
	InstanceID      string          `json:"instanceId"`
	RuntimeStatus   string          `json:"runtimeStatus"`
	Input           json.RawMessage `json:"input"`
	CustomStatus    json.RawMessage `json:"customStatus"`
	Output          json.RawMessage `json:"output"`
	CreatedTime     string          `json:"createdTime"`
	LastUpdatedTime string          `json:"lastUpdatedTime"`
	HistoryEvents   json.RawMessage `json:"historyEvents,omitempty"`
}
