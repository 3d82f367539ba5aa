package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/godurable/durable/internal/grpckey"
)

// secretHeader carries the cluster secret on every call between members.
const secretHeader = "x-durable-cluster-secret"

// authOptions make protoactor's remoting accept only callers that present secret, and
// present it on every call this member makes. Without it, anyone who can reach a
// member's port could send its actors messages.
func authOptions(secret string) ([]grpc.ServerOption, []grpc.DialOption) {
	server := grpckey.Require(secretHeader, secret, "durable: missing or wrong cluster secret")
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(secretCredentials(secret)),
	}
	return server, dial
}

type secretCredentials string

func (s secretCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{secretHeader: string(s)}, nil
}

// RequireTransportSecurity is false: members on loopback or a private network may
// speak plain gRPC; the secret still keeps strangers out.
func (secretCredentials) RequireTransportSecurity() bool { return false }

func randomSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
