package grpcapi_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/godurable/durable/grpcapi/internal/protos"
)

func TestQueryEntities(t *testing.T) {
	ctx := ctxFor(t)
	for _, key := range []string{"q-1", "q-2", "q-3", "other"} {
		if _, err := client.SignalEntity(ctx, &pb.SignalEntityRequest{InstanceId: "@counter@" + key, Name: "Add", Input: wrapperspb.String("1")}); err != nil {
			t.Fatal(err)
		}
	}
	// Pages of one, by a prefix that spells the name (in another case) and part of a key.
	var ids []string
	query := &pb.EntityQuery{InstanceIdStartsWith: wrapperspb.String("@Counter@q-"), IncludeState: true, PageSize: wrapperspb.Int32(1)}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatalf("the listing does not end: %v", ids)
		}
		res, err := client.QueryEntities(ctx, &pb.QueryEntitiesRequest{Query: query})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Entities {
			if e.GetSerializedState().GetValue() != `{"N":1}` || e.GetLastModifiedTime() == nil {
				t.Fatalf("entity %v", e)
			}
			ids = append(ids, e.InstanceId)
		}
		if res.ContinuationToken == nil {
			break
		}
		query.ContinuationToken = res.ContinuationToken
	}
	if len(ids) != 3 || ids[0] != "@counter@q-1" || ids[2] != "@counter@q-3" {
		t.Fatalf("listed %v, want the three q- counters in order", ids)
	}
	// Part of a name; without state asked, none is sent.
	res, err := client.QueryEntities(ctx, &pb.QueryEntitiesRequest{Query: &pb.EntityQuery{InstanceIdStartsWith: wrapperspb.String("@coun")}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range res.Entities {
		found = found || e.InstanceId == "@counter@other"
		if e.SerializedState != nil {
			t.Fatalf("state sent unasked: %v", e)
		}
	}
	if !found {
		t.Fatalf("@coun does not list @counter@other: %v", res.Entities)
	}
	_, err = client.QueryEntities(ctx, &pb.QueryEntitiesRequest{Query: &pb.EntityQuery{InstanceIdStartsWith: wrapperspb.String("counter")}})
	wantCode(t, err, codes.InvalidArgument)
	if err == nil || !contains(err.Error(), "instanceIdStartsWith") {
		t.Fatalf("the error does not name the field: %v", err)
	}
	_, err = client.QueryEntities(ctx, &pb.QueryEntitiesRequest{Query: &pb.EntityQuery{PageSize: wrapperspb.Int32(-1)}})
	wantCode(t, err, codes.InvalidArgument)
}

func TestCleanEntityStorage(t *testing.T) {
	ctx := ctxFor(t)
	if _, err := client.SignalEntity(ctx, &pb.SignalEntityRequest{InstanceId: "@counter@kept", Name: "Add", Input: wrapperspb.String("1")}); err != nil {
		t.Fatal(err)
	}
	res, err := client.CleanEntityStorage(ctx, &pb.CleanEntityStorageRequest{RemoveEmptyEntities: true, ReleaseOrphanedLocks: true})
	if err != nil || res.ContinuationToken != nil {
		t.Fatalf("%v %v", res, err)
	}
	got, err := client.GetEntity(ctx, &pb.GetEntityRequest{InstanceId: "@counter@kept"})
	if err != nil || !got.Exists {
		t.Fatalf("an entity with state was cleaned away: %v %v", got, err)
	}
	res, err = client.CleanEntityStorage(ctx, &pb.CleanEntityStorageRequest{})
	if err != nil || res.EmptyEntitiesRemoved != 0 || res.OrphanedLocksReleased != 0 {
		t.Fatalf("asked for nothing: %v %v", res, err)
	}
}
