package actors

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/actors/internal/activities"
	"github.com/godurable/durable/actors/internal/wire"
)

// workerName is the actor on every member that runs activities for instances served
// elsewhere; the instance's member sends it work when its own workers are all busy.
const workerName = "durable-work"

// offload spreads activities over the cluster: an instance whose member has no idle
// worker sends the activity to the next member in turn, which runs it on its own pool
// and sends the result to the instance, wherever it is served by then. It remembers
// what it sent where, so that when a member goes away its activities run again.
type offload struct {
	h *Host

	mu      sync.Mutex
	next    int
	pending map[workKey]sentWork

	// sent and ran count activities sent to other members and run here for others.
	sent, ran atomic.Int64
}

type workKey struct {
	executionID string
	taskID      int64
}

type sentWork struct {
	instanceID string
	addr       string
}

func newOffload(h *Host) (*offload, error) {
	o := &offload{h: h, pending: map[workKey]sentWork{}}
	system := h.env.Member.System
	forward := system.Root.Spawn(actor.PropsFromFunc(o.forward))
	props := actor.PropsFromFunc(func(ctx actor.Context) { o.receive(ctx, forward) })
	if _, err := system.Root.SpawnNamed(props, workerName); err != nil {
		return nil, err
	}
	system.EventStream.Subscribe(func(ev any) {
		if t, ok := ev.(*remote.EndpointTerminatedEvent); ok {
			o.lost(t.Address)
		}
	})
	return o, nil
}

// Dispatch implements env.Offload.
func (o *offload) Dispatch(t *activities.Task) bool {
	self := o.h.env.Member.System.Address()
	peers := slices.DeleteFunc(o.h.env.Member.Peers(), func(p string) bool { return p == self })
	if len(peers) == 0 {
		return false
	}
	packed, err := wire.Pack(&wire.Work{InstanceID: t.InstanceID, ExecutionID: t.ExecutionID, TaskID: t.TaskID,
		Name: t.Name, Input: t.Input, Trace: t.Trace})
	if err != nil {
		return false
	}
	o.mu.Lock()
	addr := peers[o.next%len(peers)]
	o.next++
	o.pending[workKey{t.ExecutionID, t.TaskID}] = sentWork{instanceID: t.InstanceID, addr: addr}
	o.mu.Unlock()
	o.h.env.Member.System.Root.Send(actor.NewPID(addr, workerName), packed)
	o.sent.Add(1)
	return true
}

// Finished implements env.Offload.
func (o *offload) Finished(executionID string, taskID int64) {
	o.mu.Lock()
	delete(o.pending, workKey{executionID, taskID})
	o.mu.Unlock()
}

// lost tells the instances whose activities ran at addr that they must run again.
func (o *offload) lost(addr string) {
	o.mu.Lock()
	var gone []workKey
	var owners []string
	for k, w := range o.pending {
		if w.addr == addr {
			gone, owners = append(gone, k), append(owners, w.instanceID)
			delete(o.pending, k)
		}
	}
	o.mu.Unlock()
	for i, k := range gone {
		o.h.env.Courier.Send(owners[i], &wire.WorkLost{ExecutionID: k.executionID, TaskID: k.taskID}, nil)
	}
}

// receive takes work from another member and runs it on this member's pool.
func (o *offload) receive(ctx actor.Context, forward *actor.PID) {
	a, ok := ctx.Message().(*anypb.Any)
	if !ok {
		return
	}
	m, err := wire.Unpack(a)
	w, ok := m.(*wire.Work)
	if err != nil || !ok {
		return
	}
	o.ran.Add(1)
	o.h.env.Activities.Submit(&activities.Task{ReplyTo: forward, InstanceID: w.InstanceID,
		ExecutionID: w.ExecutionID, TaskID: w.TaskID, Name: w.Name, Input: w.Input, Trace: w.Trace})
}

// forward sends the results of work run here to their instances.
func (o *offload) forward(ctx actor.Context) {
	d, ok := ctx.Message().(*activities.Done)
	if !ok {
		return
	}
	o.h.env.Courier.Send(d.InstanceID, &wire.WorkDone{ExecutionID: d.ExecutionID, TaskID: d.TaskID,
		Result: d.Result, Failure: d.Failure}, nil)
}
