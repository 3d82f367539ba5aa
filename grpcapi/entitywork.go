package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/godurable/durable/entities"
	pb "github.com/godurable/durable/grpcapi/internal/protos"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/validate"
	"github.com/godurable/durable/orchestrator"
)

// defaultEntityWait is how long an entity batch waits for a worker by default: long
// enough for a worker to restart, short enough that callers hear of a missing one.
const defaultEntityWait = time.Minute

// entityBatch is an entity's batch of operations on its way through the workers.
type entityBatch struct {
	b    entities.Batch
	done func([]byte, []entities.Result, error)
	once sync.Once
	// wasOut: a worker held it when the wait was last checked.
	wasOut bool
}

func (e *entityBatch) finish(state []byte, results []entities.Result, err error) {
	e.once.Do(func() { e.done(state, results, err) })
}

// entity is the runtime's remote entity runner: it queues the batch for the workers.
// The entity waits for the answer, which its own checkpoint then records. A batch no
// worker takes within the wait fails its operations, leaving the state as it was: an
// entity left waiting would hold up its callers and senders for good. A batch a
// worker took is waited for, and gets a fresh wait when it comes back to the queue.
func (h *hub) entity(b entities.Batch, done func([]byte, []entities.Result, error)) {
	w := &work{kind: entityWork, batch: &entityBatch{b: b, done: done}}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		go done(nil, nil, errors.New("the sidecar service stopped"))
		return
	}
	h.queue = append(h.queue, w)
	h.signal()
	h.mu.Unlock()
	time.AfterFunc(h.entityWait, func() { h.expire(w) })
}

// expire fails w's operations if it waited a whole wait in the queue.
func (h *hub) expire(w *work) {
	h.mu.Lock()
	queued := slices.Contains(h.queue, w)
	e := w.batch
	switch {
	case w.by != nil || (queued && e.wasOut):
		e.wasOut = w.by != nil
		h.mu.Unlock()
		time.AfterFunc(h.entityWait, func() { h.expire(w) })
		return
	case !queued:
		h.mu.Unlock()
		return // settled, or answered by the service's stop
	}
	h.queue = slices.DeleteFunc(h.queue, func(q *work) bool { return q == w })
	h.mu.Unlock()
	f := &history.Failure{ErrorType: "EntityWorkerUnavailable", NonRetriable: true,
		Message: fmt.Sprintf("no worker took the operations of entity %s within %s", e.b.ID, h.entityWait)}
	results := make([]entities.Result, len(e.b.Operations))
	for i := range results {
		results[i].Failure = f
	}
	e.finish(e.b.State, results, nil)
}

// stopped answers a step or a batch that the service's stop leaves without a worker.
func (w *work) stopped(err error) {
	if w.kind == entityWork {
		w.batch.finish(nil, nil, err)
		return
	}
	w.reply(orchestrator.Turn{}, err)
}

// entityItem is an entity batch as the protocol sends it: an EntityBatchRequest,
// which every SDK with entities takes (the newer EntityRequest is for backends).
func (w *work) entityItem() *pb.WorkItem {
	b := w.batch.b
	req := &pb.EntityBatchRequest{InstanceId: b.ID.String(), EntityState: stringOf(b.State)}
	for i, op := range b.Operations {
		req.Operations = append(req.Operations, &pb.OperationRequest{Operation: op.Name, Input: stringOf(op.Input),
			RequestId: w.token + "." + strconv.Itoa(i)})
	}
	return &pb.WorkItem{CompletionToken: w.token, Request: &pb.WorkItem_EntityRequest{EntityRequest: req}}
}

func (s *server) CompleteEntityTask(_ context.Context, r *pb.EntityBatchResult) (*pb.CompleteTaskResponse, error) {
	token := r.GetCompletionToken()
	if token == "" {
		return nil, status.Error(codes.InvalidArgument, "completionToken: an entity batch's result must name its work item")
	}
	h := s.hub
	h.mu.Lock()
	w, ok := h.out[token]
	switch {
	case !ok:
		h.mu.Unlock()
		return nil, status.Errorf(codes.NotFound,
			"completionToken: %q is not a work item handed out and unsettled: it was settled, abandoned, or handed to another worker", token)
	case w.kind != entityWork:
		h.mu.Unlock()
		return nil, status.Errorf(codes.InvalidArgument, "completionToken %q is not an entity's work item", token)
	}
	state, results, err := batchOutcome(w.batch.b, r)
	if err != nil {
		h.mu.Unlock()
		return nil, err // the batch stays with its worker, which may answer again
	}
	delete(h.out, token)
	w.by.held[w.kind]--
	w.by = nil
	h.signal()
	h.mu.Unlock()
	w.batch.finish(state, results, nil)
	return &pb.CompleteTaskResponse{}, nil
}

func (s *server) AbandonTaskEntityWorkItem(_ context.Context, r *pb.AbandonEntityTaskRequest) (*pb.AbandonEntityTaskResponse, error) {
	if err := s.hub.abandon(r.GetCompletionToken()); err != nil {
		return nil, err
	}
	return &pb.AbandonEntityTaskResponse{}, nil
}

// batchOutcome checks a worker's answer to batch b and returns it as entities.Apply
// would. A failure of the whole batch fails each operation, the state unchanged.
// The actions of the batch are not tied to the operation that took them; they are
// sent, in order, after the batch's results.
func batchOutcome(b entities.Batch, r *pb.EntityBatchResult) ([]byte, []entities.Result, error) {
	results := make([]entities.Result, len(b.Operations))
	if f := r.GetFailureDetails(); f != nil {
		for i := range results {
			results[i].Failure = entityFailure(f)
		}
		return b.State, results, nil
	}
	if len(r.GetResults()) != len(results) {
		return nil, nil, status.Errorf(codes.InvalidArgument, "results: %d results for the batch's %d operations", len(r.GetResults()), len(results))
	}
	state, err := jsonOf("entityState", r.GetEntityState())
	if err != nil {
		return nil, nil, err
	}
	for i, res := range r.GetResults() {
		switch {
		case res.GetSuccess() != nil:
			out, err := jsonOf(fmt.Sprintf("results[%d].success.result", i), res.GetSuccess().GetResult())
			if err != nil {
				return nil, nil, err
			}
			results[i].Output = out
		case res.GetFailure() != nil:
			results[i].Failure = entityFailure(res.GetFailure().GetFailureDetails())
		default:
			return nil, nil, status.Errorf(codes.InvalidArgument, "results[%d]: neither a success nor a failure", i)
		}
	}
	last := &results[len(results)-1]
	for i, a := range r.GetActions() {
		if err := addAction(last, i, a); err != nil {
			return nil, nil, err
		}
	}
	return []byte(state), results, nil
}

// entityFailure is an operation's failure as the runtime records it.
func entityFailure(f *pb.TaskFailureDetails) *history.Failure {
	out := failureFrom(f)
	if f.GetErrorType() == "" {
		out.ErrorType = "EntityOperationFailed"
	}
	return out
}

// addAction adds the signal or start of action i to res.
func addAction(res *entities.Result, i int, a *pb.OperationAction) error {
	switch {
	case a.GetSendSignal() != nil:
		sig := a.GetSendSignal()
		target, err := entities.ParseID(sig.GetInstanceId())
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "actions[%d].sendSignal.instanceId: %v", i, err)
		}
		if sig.GetName() == "" {
			return status.Errorf(codes.InvalidArgument, "actions[%d].sendSignal.name: an operation name is required", i)
		}
		in, err := jsonOf(fmt.Sprintf("actions[%d].sendSignal.input", i), sig.GetInput())
		if err != nil {
			return err
		}
		res.Signals = append(res.Signals, entities.Signal{Target: target, Operation: sig.GetName(), Input: in, At: timeOf(sig.GetScheduledTime())})
	case a.GetStartNewOrchestration() != nil:
		st := a.GetStartNewOrchestration()
		if st.GetName() == "" {
			return status.Errorf(codes.InvalidArgument, "actions[%d].startNewOrchestration.name: an orchestration name is required", i)
		}
		if err := validate.InstanceID(st.GetInstanceId()); err != nil {
			return status.Errorf(codes.InvalidArgument, "actions[%d].startNewOrchestration.instanceId: %v", i, err)
		}
		if t := st.GetScheduledTime(); t != nil && t.AsTime().After(time.Now()) {
			return status.Errorf(codes.InvalidArgument, "actions[%d].startNewOrchestration.scheduledTime: starting later is not supported", i)
		}
		in, err := jsonOf(fmt.Sprintf("actions[%d].startNewOrchestration.input", i), st.GetInput())
		if err != nil {
			return err
		}
		res.Starts = append(res.Starts, entities.Start{Name: st.GetName(), InstanceID: st.GetInstanceId(), Input: in})
	default:
		return status.Errorf(codes.InvalidArgument, "actions[%d]: unknown action type", i)
	}
	return nil
}
