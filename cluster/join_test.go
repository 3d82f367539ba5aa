package cluster

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// A member whose etcd does not answer keeps trying for a while, then says so; it
// neither hangs nor starts half-joined.
func TestJoinGivesUpOnUnreachableEtcd(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	start := time.Now()
	_, err = Join(context.Background(), Config{Name: "c", Host: "127.0.0.1"},
		Group{Etcd: []string{closed}, MemberID: "m1", JoinTimeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "did not answer within 2s") {
		t.Fatalf("join with etcd down: %v", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("gave up after %v", took)
	}
}
