package grpcapi

import (
	"context"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/godurable/durable"
	pb "github.com/godurable/durable/grpcapi/internal/protos"
)

// QueryEntities lists stored entities a page at a time. The SDKs select by an id
// prefix ("@name@keyprefix", or "@nameprefix"); the runtime lists by name, so a
// prefix that spells a whole name and part of a key lists that name and keeps the
// keys that match, and a part of a name lists every entity and keeps the ids that
// match. A page may then come back shorter than asked, even empty, with a token for
// the next: the protocol allows it.
func (s *server) QueryEntities(ctx context.Context, r *pb.QueryEntitiesRequest) (*pb.QueryEntitiesResponse, error) {
	q := r.GetQuery()
	if n := q.GetPageSize(); n != nil && n.GetValue() < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "query.pageSize: %d is negative", n.GetValue())
	}
	name, keep, err := entityPrefix(q.GetInstanceIdStartsWith().GetValue())
	if err != nil {
		return nil, err
	}
	transient := q.GetIncludeTransient()
	page, err := s.c.ListEntities(ctx, durable.EntityQuery{
		Name: name, LastOperationFrom: timeOf(q.GetLastModifiedFrom()), LastOperationTo: timeOf(q.GetLastModifiedTo()),
		PageSize: int(q.GetPageSize().GetValue()), Continuation: q.GetContinuationToken().GetValue(),
		// Telling an entity without state (one only locked) needs the state.
		WithState: q.GetIncludeState() || !transient,
	})
	if err != nil {
		return nil, statusOf(err)
	}
	res := &pb.QueryEntitiesResponse{}
	for _, e := range page.Entities {
		if !keep(e.ID.String()) || (!transient && len(e.State) == 0) {
			continue
		}
		md := &pb.EntityMetadata{InstanceId: e.ID.String(), LastModifiedTime: timestamppb.New(e.LastOperation)}
		if q.GetIncludeState() && len(e.State) > 0 {
			md.SerializedState = wrapperspb.String(string(e.State))
		}
		if e.LockedBy != "" {
			md.LockedBy = wrapperspb.String(e.LockedBy)
		}
		res.Entities = append(res.Entities, md)
	}
	if page.Continuation != "" {
		res.ContinuationToken = wrapperspb.String(page.Continuation)
	}
	return res, nil
}

// entityPrefix turns an SDK's id prefix into the name to list (empty: all) and the
// test each listed id must pass. Entity names are case-insensitive, and ids spell
// them lower-cased; keys are compared as given.
func entityPrefix(p string) (name string, keep func(id string) bool, err error) {
	all := func(string) bool { return true }
	if p == "" || p == "@" {
		return "", all, nil
	}
	if p[0] != '@' {
		return "", nil, status.Errorf(codes.InvalidArgument, "query.instanceIdStartsWith: %q is not the start of an entity id (@name@key)", p)
	}
	n, key, whole := strings.Cut(p[1:], "@")
	if !whole {
		prefix := "@" + strings.ToLower(n)
		return "", func(id string) bool { return strings.HasPrefix(id, prefix) }, nil
	}
	prefix := "@" + strings.ToLower(n) + "@" + key
	return n, func(id string) bool { return strings.HasPrefix(id, prefix) }, nil
}

// CleanEntityStorage releases the locks of orchestrations no longer running and
// removes the entities left without state. The runtime does both in one pass over
// every entity, so a request for either does both, and the answer has no
// continuation token; a request for neither does nothing.
func (s *server) CleanEntityStorage(ctx context.Context, r *pb.CleanEntityStorageRequest) (*pb.CleanEntityStorageResponse, error) {
	if !r.GetRemoveEmptyEntities() && !r.GetReleaseOrphanedLocks() {
		return &pb.CleanEntityStorageResponse{}, nil
	}
	released, removed, err := s.c.CleanEntityStorage(ctx)
	if err != nil {
		return nil, statusOf(err)
	}
	return &pb.CleanEntityStorageResponse{EmptyEntitiesRemoved: int32(removed), OrphanedLocksReleased: int32(released)}, nil
}
