// Package grpcapi serves the Durable Task sidecar protocol (TaskHubSidecarService, the
// gRPC service the Durable Task SDKs and Dapr Workflow speak to their backend) on a
// runtime, so that clients written with those SDKs start, query, wait for, signal and
// manage its instances.
//
// The client half of the protocol is served: starting (with the id reuse policy),
// reading, waiting for, raising events to, terminating (recursively), suspending,
// resuming, purging (by id and by filter) and querying instances, and signalling and
// reading, listing and cleaning entities. And the worker half: an orchestration, an
// activity or an entity no Go code in the process registered goes to the workers
// connected over GetWorkItems. An orchestration's worker gets its history and new
// events and answers with actions, which the instance journals as it does a Go
// orchestration's steps; an activity's result (or failure) goes back to the
// orchestration that called it; an entity's worker gets a batch of operations with
// the state and answers with the new state, the results and the messages to send,
// which the entity records as it does a Go entity's batch. Go and SDK code mix:
// either may call the other's activities and sub-orchestrations, and Go code calls
// SDK entities.
package grpcapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	pb "github.com/godurable/durable/grpcapi/internal/protos"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/grpckey"
)

// Register adds the sidecar service, backed by rt, to s, and makes rt hand the
// orchestrations and activities no Go code registered to the workers connected to it.
// Call it before rt.Start: the instances Start resumes may be the workers'. Call the
// returned stop before stopping s: it ends the workers' streams, which a graceful
// stop would otherwise wait for.
func Register(s *grpc.Server, rt *durable.Runtime) (stop func()) { return register(s, rt, Options{}) }

func register(s *grpc.Server, rt *durable.Runtime, o Options) (stop func()) {
	h := newHub(o)
	rt.RegisterActivityFallback(h.run)
	rt.RegisterRemoteOrchestrations(h.step)
	rt.RegisterRemoteEntities(h.entity)
	pb.RegisterTaskHubSidecarServiceServer(s, &server{c: rt.Client(), hub: h})
	return h.close
}

// Options configure NewServer.
type Options struct {
	// APIKey, when set, must be presented by every call as the metadata
	// "x-functions-key" (the header the HTTP API takes it in).
	APIKey string
	// EntityWait is how long a batch of an entity no Go code registered waits for a
	// worker to take it before its operations fail (default 1 minute).
	EntityWait time.Duration
}

// Server is a gRPC server that serves the sidecar protocol on a runtime.
type Server struct {
	*grpc.Server
	stopWorkers func()
}

// NewServer returns a gRPC server that serves the sidecar service backed by rt (see
// Register).
func NewServer(rt *durable.Runtime, o Options) *Server {
	var opts []grpc.ServerOption
	if o.APIKey != "" {
		opts = grpckey.Require(keyHeader, o.APIKey, "the API key (metadata "+keyHeader+") is missing or wrong")
	}
	s := grpc.NewServer(opts...)
	return &Server{Server: s, stopWorkers: register(s, rt, o)}
}

// Shutdown ends the workers' streams, lets the calls in progress finish until ctx
// ends, then stops.
func (s *Server) Shutdown(ctx context.Context) {
	s.stopWorkers()
	done := make(chan struct{})
	go func() {
		s.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.Stop()
	}
}

const keyHeader = "x-functions-key"

type server struct {
	pb.UnimplementedTaskHubSidecarServiceServer
	c   *durable.Client
	hub *hub
}

func (s *server) Hello(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (s *server) StartInstance(ctx context.Context, r *pb.CreateInstanceRequest) (*pb.CreateInstanceResponse, error) {
	if r.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name: an orchestration name is required")
	}
	input, err := jsonOf("input", r.GetInput())
	if err != nil {
		return nil, err
	}
	opts := []durable.StartOption{}
	if t := r.GetScheduledStartTimestamp(); t != nil {
		opts = append(opts, durable.StartAt(t.AsTime()))
	}
	if v := r.GetVersion().GetValue(); v != "" {
		// No version, or an empty one (SDKs do not tell them apart): the default.
		opts = append(opts, durable.WithVersion(v))
	}
	if id := r.GetInstanceId(); id != "" {
		opts = append(opts, durable.WithInstanceID(id))
		if err := s.admit(ctx, id, r.GetOrchestrationIdReusePolicy()); err != nil {
			return nil, err
		}
	}
	id, err := s.c.Start(ctx, r.GetName(), input, opts...)
	if err != nil {
		return nil, statusOf(err)
	}
	return &pb.CreateInstanceResponse{InstanceId: id}, nil
}

// admit applies the id reuse policy to a start under id: the SDKs' backends refuse an
// id in use unless the instance's status is one the policy lets a new instance
// replace; a running instance so replaced is terminated first. (The runtime itself
// lets a new instance replace a finished one, as Durable Functions does.)
func (s *server) admit(ctx context.Context, id string, policy *pb.OrchestrationIdReusePolicy) error {
	st, err := s.c.Status(ctx, id)
	switch {
	case errors.Is(err, durable.ErrInstanceNotFound):
		return nil
	case err != nil:
		return statusOf(err)
	case !slices.Contains(policy.GetReplaceableStatus(), statusToProto(st.RuntimeStatus)):
		return status.Errorf(codes.AlreadyExists, "instanceId: instance %q exists (%s), and the reuse policy does not let a new one replace it",
			id, st.RuntimeStatus)
	case st.RuntimeStatus.IsTerminal():
		return nil
	}
	if err := s.c.Terminate(ctx, id, "replaced by a new instance"); err != nil && !errors.Is(err, durable.ErrInstanceFinished) {
		return statusOf(err)
	}
	if _, err := s.c.WaitForCompletion(ctx, id); err != nil {
		return statusOf(err)
	}
	return nil
}

func (s *server) GetInstance(ctx context.Context, r *pb.GetInstanceRequest) (*pb.GetInstanceResponse, error) {
	st, err := s.c.Status(ctx, r.GetInstanceId())
	return instanceResponse(st, err, r.GetGetInputsAndOutputs())
}

func (s *server) WaitForInstanceStart(ctx context.Context, r *pb.GetInstanceRequest) (*pb.GetInstanceResponse, error) {
	st, err := s.c.WaitForStart(ctx, r.GetInstanceId())
	return instanceResponse(st, err, r.GetGetInputsAndOutputs())
}

func (s *server) WaitForInstanceCompletion(ctx context.Context, r *pb.GetInstanceRequest) (*pb.GetInstanceResponse, error) {
	st, err := s.c.WaitForCompletion(ctx, r.GetInstanceId())
	return instanceResponse(st, err, r.GetGetInputsAndOutputs())
}

// instanceResponse answers a read: an instance that does not exist is a response
// saying so, as the SDKs expect, not an error.
func instanceResponse(st *durable.Status, err error, payloads bool) (*pb.GetInstanceResponse, error) {
	switch {
	case errors.Is(err, durable.ErrInstanceNotFound):
		return &pb.GetInstanceResponse{Exists: false}, nil
	case err != nil:
		return nil, statusOf(err)
	}
	return &pb.GetInstanceResponse{Exists: true, OrchestrationState: stateOf(st, payloads)}, nil
}

func (s *server) RaiseEvent(ctx context.Context, r *pb.RaiseEventRequest) (*pb.RaiseEventResponse, error) {
	if r.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name: an event name is required")
	}
	data, err := jsonOf("input", r.GetInput())
	if err != nil {
		return nil, err
	}
	if err := s.c.RaiseEvent(ctx, r.GetInstanceId(), r.GetName(), data); err != nil {
		return nil, statusOf(err)
	}
	return &pb.RaiseEventResponse{}, nil
}

func (s *server) TerminateInstance(ctx context.Context, r *pb.TerminateRequest) (*pb.TerminateResponse, error) {
	output, err := jsonOf("output", r.GetOutput())
	if err != nil {
		return nil, err
	}
	var opts []durable.TerminateOption
	if r.GetRecursive() {
		opts = append(opts, durable.Recursive())
	}
	if err := s.c.Terminate(ctx, r.GetInstanceId(), output, opts...); err != nil {
		return nil, statusOf(err)
	}
	return &pb.TerminateResponse{}, nil
}

func (s *server) SuspendInstance(ctx context.Context, r *pb.SuspendRequest) (*pb.SuspendResponse, error) {
	if err := s.c.Suspend(ctx, r.GetInstanceId(), r.GetReason().GetValue()); err != nil {
		return nil, statusOf(err)
	}
	return &pb.SuspendResponse{}, nil
}

func (s *server) ResumeInstance(ctx context.Context, r *pb.ResumeRequest) (*pb.ResumeResponse, error) {
	if err := s.c.Resume(ctx, r.GetInstanceId(), r.GetReason().GetValue()); err != nil {
		return nil, statusOf(err)
	}
	return &pb.ResumeResponse{}, nil
}

func (s *server) RewindInstance(ctx context.Context, r *pb.RewindInstanceRequest) (*pb.RewindInstanceResponse, error) {
	if err := s.c.Rewind(ctx, r.GetInstanceId(), r.GetReason().GetValue()); err != nil {
		return nil, statusOf(err)
	}
	return &pb.RewindInstanceResponse{}, nil
}

func (s *server) RestartInstance(ctx context.Context, r *pb.RestartInstanceRequest) (*pb.RestartInstanceResponse, error) {
	id, err := s.c.Restart(ctx, r.GetInstanceId(), r.GetRestartWithNewInstanceId())
	if err != nil {
		return nil, statusOf(err)
	}
	return &pb.RestartInstanceResponse{InstanceId: id}, nil
}

func (s *server) PurgeInstances(ctx context.Context, r *pb.PurgeInstancesRequest) (*pb.PurgeInstancesResponse, error) {
	purged := func(n int) *pb.PurgeInstancesResponse {
		return &pb.PurgeInstancesResponse{DeletedInstanceCount: int32(n), IsComplete: wrapperspb.Bool(true)}
	}
	if id := r.GetInstanceId(); id != "" {
		purge := func() (int, error) { return 1, s.c.Purge(ctx, id) }
		if r.GetRecursive() {
			purge = func() (int, error) { return s.purgeTree(ctx, id) }
		}
		n, err := purge()
		switch {
		case errors.Is(err, durable.ErrInstanceNotFound) && n <= 1:
			return purged(0), nil
		case err != nil:
			return nil, statusOf(err)
		}
		return purged(n), nil
	}
	f := r.GetPurgeInstanceFilter()
	if f == nil {
		return nil, status.Error(codes.InvalidArgument, "request: an instance id or a purge filter is required")
	}
	statuses, err := statusesOf(f.GetRuntimeStatus())
	if err != nil {
		return nil, err
	}
	from, to := timeOf(f.GetCreatedTimeFrom()), timeOf(f.GetCreatedTimeTo())
	if !r.GetRecursive() {
		n, err := s.c.PurgeWhere(ctx, from, to, statuses...)
		if err != nil {
			return nil, statusOf(err)
		}
		return purged(n), nil
	}
	// Recursive: each instance the filter selects goes with its sub-orchestrations. The
	// listing is read to its end before anything is purged, so that purging does not
	// move the pages under it.
	var roots []string
	q := durable.Query{Statuses: statuses, CreatedFrom: from, CreatedTo: to, PageSize: 1000}
	for {
		page, err := s.c.List(ctx, q)
		if err != nil {
			return nil, statusOf(err)
		}
		for _, st := range page.Instances {
			roots = append(roots, st.InstanceID)
		}
		if q.Continuation = page.Continuation; q.Continuation == "" {
			break
		}
	}
	total := 0
	for _, id := range roots {
		n, err := s.purgeTree(ctx, id)
		total += n
		if err != nil && !errors.Is(err, durable.ErrInstanceNotFound) {
			return nil, statusOf(err)
		}
	}
	return purged(total), nil
}

// purgeTree purges instance id after the sub-orchestrations its history names (of its
// current execution: continue-as-new leaves earlier ones' children behind), children
// first, so that a failure leaves the parent, from which the rest can be found again.
// It returns how many it purged.
func (s *server) purgeTree(ctx context.Context, id string) (int, error) {
	st, err := s.c.Status(ctx, id, durable.WithHistory())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ev := range st.History {
		if ev.Type != history.EventSubOrchestrationCreated {
			continue
		}
		k, err := s.purgeTree(ctx, ev.InstanceID)
		n += k
		if err != nil && !errors.Is(err, durable.ErrInstanceNotFound) {
			return n, err
		}
	}
	if err := s.c.Purge(ctx, id); err != nil {
		return n, err
	}
	return n + 1, nil
}

func (s *server) QueryInstances(ctx context.Context, r *pb.QueryInstancesRequest) (*pb.QueryInstancesResponse, error) {
	q := r.GetQuery()
	statuses, err := statusesOf(q.GetRuntimeStatus())
	if err != nil {
		return nil, err
	}
	page, err := s.c.List(ctx, durable.Query{
		Statuses: statuses, IDPrefix: q.GetInstanceIdPrefix().GetValue(),
		CreatedFrom: timeOf(q.GetCreatedTimeFrom()), CreatedTo: timeOf(q.GetCreatedTimeTo()),
		PageSize: int(q.GetMaxInstanceCount()), Continuation: q.GetContinuationToken().GetValue(),
		WithInput: q.GetFetchInputsAndOutputs(),
	})
	if err != nil {
		return nil, statusOf(err)
	}
	res := &pb.QueryInstancesResponse{}
	for _, st := range page.Instances {
		res.OrchestrationState = append(res.OrchestrationState, stateOf(st, q.GetFetchInputsAndOutputs()))
	}
	if page.Continuation != "" {
		res.ContinuationToken = wrapperspb.String(page.Continuation)
	}
	return res, nil
}

func (s *server) SignalEntity(ctx context.Context, r *pb.SignalEntityRequest) (*pb.SignalEntityResponse, error) {
	id, err := entityID(r.GetInstanceId())
	if err != nil {
		return nil, err
	}
	input, err := jsonOf("input", r.GetInput())
	if err != nil {
		return nil, err
	}
	var opts []durable.SignalOption
	if t := r.GetScheduledTime(); t != nil {
		opts = append(opts, durable.SignalAt(t.AsTime()))
	}
	if key := r.GetRequestId(); key != "" {
		opts = append(opts, durable.WithIdempotencyKey(key))
	}
	if err := s.c.SignalEntity(ctx, id, r.GetName(), input, opts...); err != nil {
		return nil, statusOf(err)
	}
	return &pb.SignalEntityResponse{}, nil
}

func (s *server) GetEntity(ctx context.Context, r *pb.GetEntityRequest) (*pb.GetEntityResponse, error) {
	id, err := entityID(r.GetInstanceId())
	if err != nil {
		return nil, err
	}
	st, err := s.c.Entity(ctx, id)
	switch {
	case errors.Is(err, durable.ErrEntityNotFound):
		return &pb.GetEntityResponse{Exists: false}, nil
	case err != nil:
		return nil, statusOf(err)
	}
	md := &pb.EntityMetadata{InstanceId: r.GetInstanceId(), LastModifiedTime: timestamppb.New(st.LastOperation)}
	if r.GetIncludeState() && len(st.State) > 0 {
		md.SerializedState = wrapperspb.String(string(st.State))
	}
	if st.LockedBy != "" {
		md.LockedBy = wrapperspb.String(st.LockedBy)
	}
	return &pb.GetEntityResponse{Exists: true, Entity: md}, nil
}

// entityID parses the SDKs' entity instance id, "@name@key".
func entityID(s string) (entities.ID, error) {
	if len(s) < 3 || s[0] != '@' {
		return entities.ID{}, status.Errorf(codes.InvalidArgument, "instanceId: %q is not an entity id (@name@key)", s)
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '@' {
			return entities.ID{Name: s[1:i], Key: s[i+1:]}, nil
		}
	}
	return entities.ID{}, status.Errorf(codes.InvalidArgument, "instanceId: %q is not an entity id (@name@key)", s)
}

// jsonOf returns a payload the SDKs sent (serialized JSON) as JSON, nil when absent.
func jsonOf(field string, v *wrapperspb.StringValue) (json.RawMessage, error) {
	if v == nil || v.GetValue() == "" {
		return nil, nil
	}
	if !json.Valid([]byte(v.GetValue())) {
		return nil, status.Errorf(codes.InvalidArgument, "%s: not valid JSON", field)
	}
	return json.RawMessage(v.GetValue()), nil
}

func stateOf(st *durable.Status, payloads bool) *pb.OrchestrationState {
	out := &pb.OrchestrationState{
		InstanceId: st.InstanceID, Name: st.Name, Version: stringOf([]byte(st.Version)), OrchestrationStatus: statusToProto(st.RuntimeStatus),
		CreatedTimestamp: timestamppb.New(st.CreatedAt), LastUpdatedTimestamp: timestamppb.New(st.LastUpdatedAt),
	}
	if st.RuntimeStatus.IsTerminal() {
		out.CompletedTimestamp = timestamppb.New(st.LastUpdatedAt)
	}
	if payloads {
		out.Input, out.Output = stringOf(st.Input), stringOf(st.Output)
	}
	out.CustomStatus = stringOf(st.CustomStatus)
	if f := st.Failure; f != nil {
		out.FailureDetails = failureOf(f)
	}
	return out
}

func failureOf(f *durable.Failure) *pb.TaskFailureDetails {
	if f == nil {
		return nil
	}
	d := &pb.TaskFailureDetails{ErrorType: f.ErrorType, ErrorMessage: f.Message, IsNonRetriable: f.NonRetriable}
	if f.Stack != "" {
		d.StackTrace = wrapperspb.String(f.Stack)
	}
	if f.Inner != nil {
		d.InnerFailure = failureOf(f.Inner)
	}
	return d
}

func stringOf(b json.RawMessage) *wrapperspb.StringValue {
	if len(b) == 0 {
		return nil
	}
	return wrapperspb.String(string(b))
}

func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

// statuses pairs the runtime's statuses with the protocol's.
var statuses = map[durable.RuntimeStatus]pb.OrchestrationStatus{
	durable.StatusRunning:        pb.OrchestrationStatus_ORCHESTRATION_STATUS_RUNNING,
	durable.StatusCompleted:      pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED,
	durable.StatusContinuedAsNew: pb.OrchestrationStatus_ORCHESTRATION_STATUS_CONTINUED_AS_NEW,
	durable.StatusFailed:         pb.OrchestrationStatus_ORCHESTRATION_STATUS_FAILED,
	durable.StatusCanceled:       pb.OrchestrationStatus_ORCHESTRATION_STATUS_CANCELED,
	durable.StatusTerminated:     pb.OrchestrationStatus_ORCHESTRATION_STATUS_TERMINATED,
	durable.StatusPending:        pb.OrchestrationStatus_ORCHESTRATION_STATUS_PENDING,
	durable.StatusSuspended:      pb.OrchestrationStatus_ORCHESTRATION_STATUS_SUSPENDED,
}

func statusToProto(s durable.RuntimeStatus) pb.OrchestrationStatus {
	if theirs, ok := statuses[s]; ok {
		return theirs
	}
	return pb.OrchestrationStatus_ORCHESTRATION_STATUS_RUNNING
}

func statusesOf(in []pb.OrchestrationStatus) ([]durable.RuntimeStatus, error) {
	var out []durable.RuntimeStatus
	for _, s := range in {
		found := false
		for ours, theirs := range statuses {
			if theirs == s {
				out, found = append(out, ours), true
				break
			}
		}
		if !found {
			return nil, status.Errorf(codes.InvalidArgument, "runtimeStatus: unknown status %d", s)
		}
	}
	return out, nil
}

// statusOf maps the runtime's errors to gRPC codes, keeping their messages.
func statusOf(err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, durable.ErrInstanceNotFound), errors.Is(err, durable.ErrEntityNotFound):
		code = codes.NotFound
	case errors.Is(err, durable.ErrInstanceExists):
		code = codes.AlreadyExists
	case errors.Is(err, durable.ErrInstanceFinished), errors.Is(err, durable.ErrWrongState):
		code = codes.FailedPrecondition
	case errors.Is(err, durable.ErrInvalidInput), errors.Is(err, durable.ErrUnknownOrchestration),
		errors.Is(err, durable.ErrUnknownEntity):
		code = codes.InvalidArgument
	case errors.Is(err, durable.ErrPayloadTooLarge):
		code = codes.ResourceExhausted
	case errors.Is(err, durable.ErrUnavailable):
		code = codes.Unavailable
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	}
	return status.Error(code, fmt.Sprint(err))
}
