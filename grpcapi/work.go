package grpcapi

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/godurable/durable"
	pb "github.com/godurable/durable/grpcapi/internal/protos"
	"github.com/godurable/durable/orchestrator"
)

// hub hands the activities no Go code registered to the workers connected over
// GetWorkItems, and takes back their results. A work item waits in the queue while no
// worker has room for it; one handed to a worker that disconnects, or that abandons
// it, goes back to the front of the queue for another (activities run at least once).
// Each item handed out has a completion token of its own: a completion with a token
// not handed out, or handed out and settled already, is refused, so a stale worker's
// late answer changes nothing.
type hub struct {
	mu     sync.Mutex
	queue  []*work
	out    map[string]*work // handed out, by completion token
	seq    uint64
	wake   chan struct{} // closed and replaced when the queue grows or a worker frees room
	closed bool
	// entityWait is how long an entity batch waits for a worker to take it.
	entityWait time.Duration
}

type work struct {
	kind  kind
	call  durable.ActivityCall    // an activity's
	step  orchestrator.RemoteStep // an orchestration's
	token string
	by    *worker                        // the worker it is handed to; nil while queued
	done  chan outcome                   // an activity's result
	reply func(orchestrator.Turn, error) // an orchestration step's
	batch *entityBatch                   // an entity's
}

// kind tells activity work items from orchestration steps: a worker bounds each.
type kind int

const (
	activityWork kind = iota
	orchestrationWork
	entityWork
	kinds // how many there are
)

type outcome struct {
	result  []byte
	failure *durable.Failure
}

// worker is one GetWorkItems stream.
type worker struct {
	limit [kinds]int // work items of each kind it may hold at once
	held  [kinds]int
}

func newHub(o Options) *hub {
	return &hub{out: map[string]*work{}, wake: make(chan struct{}), entityWait: orDefault(o.EntityWait, defaultEntityWait)}
}

// run is the runtime's activity fallback: it queues the call and waits for a worker's
// result, or gives up without one when ctx ends.
func (h *hub) run(ctx context.Context, call durable.ActivityCall) ([]byte, *durable.Failure, error) {
	w := &work{kind: activityWork, call: call, done: make(chan outcome, 1)}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, nil, errors.New("the sidecar service stopped")
	}
	h.queue = append(h.queue, w)
	h.signal()
	h.mu.Unlock()
	select {
	case o := <-w.done:
		return o.result, o.failure, nil
	case <-ctx.Done():
		h.forget(w)
		return nil, nil, ctx.Err()
	}
}

// signal wakes the workers waiting for work; h.mu is held.
func (h *hub) signal() {
	close(h.wake)
	h.wake = make(chan struct{})
}

// forget removes w wherever it is: its caller no longer waits.
func (h *hub) forget(w *work) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, q := range h.queue {
		if q == w {
			h.queue = append(h.queue[:i], h.queue[i+1:]...)
			return
		}
	}
	if w.by != nil {
		w.by.held[w.kind]--
		delete(h.out, w.token)
		w.by = nil
	}
}

// step is the runtime's remote orchestration runner: it queues the step for the
// workers, whose answer comes back through done.
func (h *hub) step(step orchestrator.RemoteStep, done func(orchestrator.Turn, error)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		go done(orchestrator.Turn{}, errors.New("the sidecar service stopped"))
		return
	}
	h.queue = append(h.queue, &work{kind: orchestrationWork, step: step, reply: done})
	h.signal()
}

// next hands wk the oldest queued item it has room for, waiting until then
// or until ctx ends; after idle, it returns nil so the stream can send a ping.
func (h *hub) next(ctx context.Context, wk *worker, idle time.Duration) (*work, error) {
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, errStopped
		}
		for i, w := range h.queue {
			if wk.held[w.kind] >= wk.limit[w.kind] {
				continue
			}
			h.queue = append(h.queue[:i:i], h.queue[i+1:]...)
			h.seq++
			w.token, w.by = strconv.FormatUint(h.seq, 10), wk
			wk.held[w.kind]++
			h.out[w.token] = w
			h.mu.Unlock()
			return w, nil
		}
		wake := h.wake
		h.mu.Unlock()
		select {
		case <-wake:
		case <-timer.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

var errStopped = status.Error(codes.Unavailable, "the sidecar service is stopping; connect again")

// requeue puts the items wk holds back at the front of the queue, oldest first: wk
// disconnected, and another worker must run them.
func (h *hub) requeue(wk *worker) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var back []*work
	for token, w := range h.out {
		if w.by == wk {
			delete(h.out, token)
			w.by, w.token = nil, ""
			back = append(back, w)
		}
	}
	wk.held = [kinds]int{}
	if len(back) > 0 {
		h.queue = append(back, h.queue...)
		h.signal()
	}
}

// abandon puts the item of token back at the front of the queue.
func (h *hub) abandon(token string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	w, ok := h.out[token]
	if !ok {
		return status.Errorf(codes.NotFound, "completionToken: %q is not a work item handed out and unsettled", token)
	}
	delete(h.out, token)
	w.by.held[w.kind]--
	w.by, w.token = nil, ""
	h.queue = append([]*work{w}, h.queue...)
	h.signal()
	return nil
}

// complete settles the item of token with o. A worker that sends no token (older SDKs)
// is matched by instance and task instead.
func (h *hub) complete(token, instanceID string, taskID int32, o outcome) error {
	h.mu.Lock()
	w, ok := h.out[token]
	if ok && w.kind != activityWork {
		h.mu.Unlock()
		return status.Errorf(codes.InvalidArgument, "completionToken %q is an orchestration's work item, not an activity's", token)
	}
	if !ok && token == "" {
		for t, c := range h.out {
			if c.kind == activityWork && c.call.InstanceID == instanceID && c.call.TaskID == int64(taskID) {
				w, ok, token = c, true, t
				break
			}
		}
	}
	if !ok {
		h.mu.Unlock()
		return status.Errorf(codes.NotFound,
			"completionToken: %q (instance %q, task %d) is not a work item handed out and unsettled: it was settled, abandoned, or handed to another worker",
			token, instanceID, taskID)
	}
	if w.call.InstanceID != instanceID || w.call.TaskID != int64(taskID) {
		h.mu.Unlock()
		return status.Errorf(codes.InvalidArgument, "completionToken %q belongs to instance %q, task %d, not instance %q, task %d",
			token, w.call.InstanceID, w.call.TaskID, instanceID, taskID)
	}
	delete(h.out, token)
	w.by.held[w.kind]--
	w.by = nil
	h.signal()
	h.mu.Unlock()
	w.done <- o
	return nil
}

// settleStep removes the orchestration step of token (or, without one, of instanceID)
// from the items handed out, if turn makes a Turn of the worker's answer, and answers
// the instance with it; a step refused stays with its worker.
func (h *hub) settleStep(token, instanceID string, turn func(orchestrator.RemoteStep) (orchestrator.Turn, error)) error {
	h.mu.Lock()
	w, ok := h.out[token]
	if !ok && token == "" {
		for t, c := range h.out {
			if c.kind == orchestrationWork && c.step.InstanceID == instanceID {
				w, ok, token = c, true, t
				break
			}
		}
	}
	switch {
	case !ok:
		h.mu.Unlock()
		return status.Errorf(codes.NotFound,
			"completionToken: %q (instance %q) is not a work item handed out and unsettled: it was settled, abandoned, or handed to another worker",
			token, instanceID)
	case w.kind != orchestrationWork:
		h.mu.Unlock()
		return status.Errorf(codes.InvalidArgument, "completionToken %q is an activity's work item, not an orchestration's", token)
	case w.step.InstanceID != instanceID:
		h.mu.Unlock()
		return status.Errorf(codes.InvalidArgument, "completionToken %q belongs to instance %q, not %q", token, w.step.InstanceID, instanceID)
	}
	tr, err := turn(w.step)
	if err != nil {
		h.mu.Unlock()
		return err
	}
	delete(h.out, token)
	w.by.held[w.kind]--
	w.by = nil
	h.signal()
	h.mu.Unlock()
	w.reply(tr, nil)
	return nil
}

// close ends every worker stream; activities waiting stay with their callers until
// the runtime stops them.
func (h *hub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.signal()
	// Orchestration steps and entity batches are answered now: their instances and
	// entities take them again when workers are back.
	var steps []*work
	for _, w := range h.queue {
		if w.kind != activityWork {
			steps = append(steps, w)
		}
	}
	for token, w := range h.out {
		if w.kind != activityWork {
			steps = append(steps, w)
			delete(h.out, token)
		}
	}
	h.queue = slices.DeleteFunc(h.queue, func(w *work) bool { return w.kind != activityWork })
	h.mu.Unlock()
	for _, w := range steps {
		w.stopped(errors.New("the sidecar service stopped"))
	}
}

// defaultActivityLimit bounds the work items of each kind a worker holds at once when
// it states no bound of its own.
const defaultActivityLimit = 100

func orDefault[N int | time.Duration](n, def N) N {
	if n <= 0 {
		return def
	}
	return n
}

// item is w as the protocol sends it to a worker.
func (w *work) item() *pb.WorkItem {
	if w.kind == entityWork {
		return w.entityItem()
	}
	if w.kind == orchestrationWork {
		req := &pb.OrchestratorRequest{InstanceId: w.step.InstanceID, ExecutionId: wrapperspb.String(w.step.ExecutionID)}
		var at time.Time
		req.PastEvents, at = eventsToProto(w.step.Past, at)
		req.NewEvents, _ = eventsToProto(w.step.New, at)
		return &pb.WorkItem{CompletionToken: w.token, Request: &pb.WorkItem_OrchestratorRequest{OrchestratorRequest: req}}
	}
	return &pb.WorkItem{CompletionToken: w.token, Request: &pb.WorkItem_ActivityRequest{ActivityRequest: &pb.ActivityRequest{
		Name: w.call.Name, Input: stringOf(w.call.Input), TaskId: int32(w.call.TaskID),
		OrchestrationInstance: &pb.OrchestrationInstance{InstanceId: w.call.InstanceID, ExecutionId: wrapperspb.String(w.call.ExecutionID)},
	}}}
}

// pingEvery is how long a worker stream stays silent before it is sent a health ping,
// so that proxies and the worker see it alive.
const pingEvery = 30 * time.Second

func (s *server) GetWorkItems(req *pb.GetWorkItemsRequest, stream pb.TaskHubSidecarService_GetWorkItemsServer) error {
	wk := &worker{limit: [kinds]int{
		activityWork:      orDefault(int(req.GetMaxConcurrentActivityWorkItems()), defaultActivityLimit),
		orchestrationWork: orDefault(int(req.GetMaxConcurrentOrchestrationWorkItems()), defaultActivityLimit),
		entityWork:        orDefault(int(req.GetMaxConcurrentEntityWorkItems()), defaultActivityLimit),
	}}
	defer s.hub.requeue(wk)
	ctx := stream.Context()
	for {
		w, err := s.hub.next(ctx, wk, pingEvery)
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return nil
		case err != nil:
			return err
		case w == nil:
			if err := stream.Send(&pb.WorkItem{Request: &pb.WorkItem_HealthPing{HealthPing: &pb.HealthPing{}}}); err != nil {
				return err
			}
			continue
		}
		if err := stream.Send(w.item()); err != nil {
			return err // the deferred requeue gives w to another worker
		}
	}
}

func (s *server) CompleteActivityTask(_ context.Context, r *pb.ActivityResponse) (*pb.CompleteTaskResponse, error) {
	o := outcome{}
	if f := r.GetFailureDetails(); f != nil {
		o.failure = failureFrom(f)
	} else if v := r.GetResult(); v != nil && v.GetValue() != "" {
		if _, err := jsonOf("result", v); err != nil {
			return nil, err
		}
		o.result = []byte(v.GetValue())
	}
	if err := s.hub.complete(r.GetCompletionToken(), r.GetInstanceId(), r.GetTaskId(), o); err != nil {
		return nil, err
	}
	return &pb.CompleteTaskResponse{}, nil
}

func (s *server) AbandonTaskActivityWorkItem(_ context.Context, r *pb.AbandonActivityTaskRequest) (*pb.AbandonActivityTaskResponse, error) {
	if err := s.hub.abandon(r.GetCompletionToken()); err != nil {
		return nil, err
	}
	return &pb.AbandonActivityTaskResponse{}, nil
}

// failureFrom is a worker's failure as the runtime records it.
func failureFrom(f *pb.TaskFailureDetails) *durable.Failure {
	out := &durable.Failure{ErrorType: f.GetErrorType(), Message: f.GetErrorMessage(), Stack: f.GetStackTrace().GetValue(),
		NonRetriable: f.GetIsNonRetriable()}
	if out.ErrorType == "" {
		out.ErrorType = "ActivityFailed"
	}
	if in := f.GetInnerFailure(); in != nil {
		out.Inner = failureFrom(in)
	}
	return out
}

func (s *server) CompleteOrchestratorTask(_ context.Context, r *pb.OrchestratorResponse) (*pb.CompleteTaskResponse, error) {
	if r.GetIsPartial() {
		return nil, status.Error(codes.Unimplemented, "isPartial: chunked completions are not supported; send the actions at once")
	}
	err := s.hub.settleStep(r.GetCompletionToken(), r.GetInstanceId(), func(step orchestrator.RemoteStep) (orchestrator.Turn, error) {
		return turnOf(step, r)
	})
	if err != nil {
		return nil, err
	}
	return &pb.CompleteTaskResponse{}, nil
}

func (s *server) AbandonTaskOrchestratorWorkItem(_ context.Context, r *pb.AbandonOrchestrationTaskRequest) (*pb.AbandonOrchestrationTaskResponse, error) {
	if err := s.hub.abandon(r.GetCompletionToken()); err != nil {
		return nil, err
	}
	return &pb.AbandonOrchestrationTaskResponse{}, nil
}
