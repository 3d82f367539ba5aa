package main

import (
	"bytes"
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

// apiError is a refusal from the server, with its status code and message.
type apiError struct {
	status  int
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
	return b, resp, &apiError{status: resp.StatusCode, message: errorMessage(b)}
}

func errorMessage(b []byte) string {
	var e struct{ Error, Message string }
	if json.Unmarshal(b, &e) == nil && (e.Message != "" || e.Error != "") {
		if e.Message != "" {
			return e.Message
		}
		return e.Error
	}
	return strings.TrimSpace(string(b))
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
	InstanceID      string          `json:"instanceId"`
	RuntimeStatus   string          `json:"runtimeStatus"`
	Input           json.RawMessage `json:"input"`
	CustomStatus    json.RawMessage `json:"customStatus"`
	Output          json.RawMessage `json:"output"`
	CreatedTime     string          `json:"createdTime"`
	LastUpdatedTime string          `json:"lastUpdatedTime"`
	HistoryEvents   json.RawMessage `json:"historyEvents,omitempty"`
}

func finished(s string) bool {
	switch s {
	case "Completed", "Failed", "Terminated", "Canceled":
		return true
	}
	return false
}

// waitFor polls an instance until it finishes: the API is asynchronous by design
// (202 while running), so a client waits by polling with a growing interval.
func (c *apiClient) waitFor(id string, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	pause := 50 * time.Millisecond
	for {
		b, _, err := c.do("GET", instancePath(id), nil, nil, http.StatusOK, http.StatusAccepted)
		if err != nil {
			return nil, err
		}
		var st status
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, err
		}
		if finished(st.RuntimeStatus) {
			return b, nil
		}
		if time.Now().After(deadline) {
			return b, fmt.Errorf("instance %s still %s after %v", id, st.RuntimeStatus, timeout)
		}
		time.Sleep(pause)
		pause = min(pause*2, time.Second)
	}
}
