package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/netutil"
)

// serveLimited serves h with l on a loopback port and returns its address.
func serveLimited(t *testing.T, l limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}), l)
	go func() { _ = srv.Serve(netutil.LimitListener(ln, l.maxConns)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// closedByServer reads from c until the server closes it, failing the test if that
// takes longer than within.
func closedByServer(t *testing.T, c net.Conn, within time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept the connection open past %v", within)
	}
}

// A client that sends its body slowly, or keeps an idle connection, is cut off.
func TestSlowAndIdleConnectionsAreClosed(t *testing.T) {
	addr := serveLimited(t, limits{readHeader: time.Second, read: 300 * time.Millisecond, write: time.Second,
		idle: 300 * time.Millisecond, maxConns: 10})

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	_, _ = io.WriteString(slow, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx")
	closedByServer(t, slow, 10*time.Second)

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_, _ = io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first request: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	closedByServer(t, idle, 10*time.Second)
}

// Past the connection bound, new connections wait in the listen queue instead of
// taking descriptors; they are served once a held one goes.
func TestConnectionsAreBounded(t *testing.T) {
	addr := serveLimited(t, limits{readHeader: time.Minute, read: time.Minute, write: time.Minute, idle: time.Minute, maxConns: 1})
	held, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(held, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(bufio.NewReader(held), nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("held connection: %v", err)
	}
	client := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := client.Get("http://" + addr + "/"); err == nil {
		t.Fatal("a connection past the bound was served while the bound was held")
	}
	held.Close()
	client.Timeout = 10 * time.Second
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != "ok" {
		t.Fatalf("served %q", b)
	}
}

// A path the mux would redirect to its clean form is answered by the API, after the
// API key is checked, in JSON.
func TestUncleanPathsAreNotRedirected(t *testing.T) {
	srv := httptest.NewServer(routes(nil, "secret", slog.New(slog.DiscardHandler), nil))
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"//runtime/webhooks/durabletask/instances", "/api/../dashboard/", "/dashboard//x"} {
		resp, err := client.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
