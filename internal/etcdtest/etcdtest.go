// Package etcdtest starts a real etcd server for tests: Debian's etcd-server binary on
// loopback ports, with its data in the test's temporary directory.
package etcdtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// RequireEnv makes a missing etcd binary fail the test instead of skipping it; CI sets
// it, so the cluster tests cannot silently not run.
const RequireEnv = "DURABLE_REQUIRE_ETCD"

// Server is one etcd process.
type Server struct {
	// Endpoint is the client URL's host:port.
	Endpoint string
	cmd      *exec.Cmd
}

// Start runs etcd on loopback until the test ends and returns once it answers.
func Start(t testing.TB) *Server { return StartAt(t, "127.0.0.1") }

// StartAt is Start with etcd's client port on the address ip, for tests whose members
// live in other network namespaces.
func StartAt(t testing.TB, ip string) *Server {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("etcd is required (%s is set) but not installed: %v", RequireEnv, err)
		}
		t.Skip("etcd is not installed (Debian: apt-get install etcd-server)")
	}
	client, peer := freePort(t, ip), freePort(t, "127.0.0.1")
	dir := t.TempDir()
	s := &Server{Endpoint: client}
	s.cmd = exec.Command(bin,
		"--name", "test",
		"--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", "http://"+client,
		"--advertise-client-urls", "http://"+client,
		"--listen-peer-urls", "http://"+peer,
		"--initial-advertise-peer-urls", "http://"+peer,
		"--initial-cluster", "test=http://"+peer,
		"--log-level", "error",
	)
	var stderr strings.Builder
	s.cmd.Stderr = &stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused etcd cannot die
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
	if err := WaitReady(s.Endpoint, 20*time.Second); err != nil {
		t.Fatalf("etcd did not start: %v: %s", err, stderr.String())
	}
	return s
}

// WaitReady waits until the etcd at endpoint answers, for at most within: for tests
// and for the bench, which start etcd themselves.
func WaitReady(endpoint string, within time.Duration) error {
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: time.Second})
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.Get(ctx, "health")
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("etcd at %s did not answer within %v: %w", endpoint, within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Pause stops the etcd process (SIGSTOP): its clients' requests hang, as they would
// behind a network partition. Resume continues it.
func (s *Server) Pause()  { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }
func (s *Server) Resume() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }

// Client returns a client of the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint}, DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func freePort(t testing.TB, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr())
}
