package cluster

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// secretHeader carries the cluster secret on every call between members.
const secretHeader = "x-durable-cluster-secret"

// authOptions make protoactor's remoting accept only callers that present secret, and
// present it on every call this member makes. Without it, anyone who can reach a
// member's port could send its actors messages.
func authOptions(secret string) ([]grpc.ServerOption, []grpc.DialOption) {
	want := []byte(secret)
	check := func(ctx context.Context) error {
		md, _ := metadata.FromIncomingContext(ctx)
		for _, got := range md.Get(secretHeader) {
			if subtle.ConstantTimeCompare([]byte(got), want) == 1 {
				return nil
			}
		}
		return status.Error(codes.Unauthenticated, "durable: missing or wrong cluster secret")
	}
	server := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := check(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := check(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	}
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
