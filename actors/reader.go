package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// readerName is the actor on every member that answers, for other members, reads
// and waits on the instances this member serves: their journal is here.
const readerName = "durable-reader"

// Until says what Wait waits for.
type Until uint8

const (
	// UntilStarted: the instance exists and has left Pending.
	UntilStarted Until = iota + 1
	// UntilFinished: the instance completed, failed, was terminated or canceled.
	UntilFinished
)

func (u Until) reached(r *persistence.Instance) bool {
	if u == UntilStarted {
		return r.Status != history.StatusPending
	}
	return r.Status.IsTerminal()
}

// remoteWaitSlice bounds one remote wait: a longer wait is several, so that a wait
// follows its instance when the instance's partition moves.
const remoteWaitSlice = 20 * time.Second

// maxReads bounds the reads and waits a member serves for others at once.
const maxReads = 1024

func (h *Host) startReader() error {
	h.readSlots = make(chan struct{}, maxReads)
	_, err := h.env.Member.System.Root.SpawnNamed(actor.PropsFromFunc(h.receiveRead), readerName)
	return err
}

// receiveRead answers each request on a goroutine of its own: reads touch the disk and
// waits last, and neither may hold up the next request.
func (h *Host) receiveRead(ctx actor.Context) {
	a, ok := ctx.Message().(*anypb.Any)
	if !ok {
		return
	}
	sender, root := ctx.Sender(), ctx.ActorSystem().Root
	select {
	case h.readSlots <- struct{}{}:
	default:
		// Too many reads and waits at once: the asker tries again shortly.
		if p, err := wire.Pack(&wire.ReadResult{Code: wire.CodeRetry, Message: "member busy"}); err == nil && sender != nil {
			root.Send(sender, p)
		}
		return
	}
	go func() {
		defer func() { <-h.readSlots }()
		res := h.serveRead(a)
		if p, err := wire.Pack(res); err == nil && sender != nil {
			root.Send(sender, p)
		}
	}()
}

func (h *Host) serveRead(a *anypb.Any) any {
	msg, err := wire.Unpack(a)
	if err != nil {
		return &wire.ReadResult{Code: wire.CodeInvalid, Message: err.Error()}
	}
	var (
		row  *persistence.Instance
		hist []history.Event
	)
	switch m := msg.(type) {
	case *wire.Read:
		if !h.env.Member.Serves(m.ID) {
			return &wire.ReadResult{Code: wire.CodeRetry, Message: "instance moved"}
		}
		row, hist, err = h.readLocal(h.env.Ctx, m.ID, m.History)
	case *wire.WaitFor:
		if !h.env.Member.Serves(m.ID) {
			return &wire.ReadResult{Code: wire.CodeRetry, Message: "instance moved"}
		}
		ctx, cancel := context.WithTimeout(h.env.Ctx, m.MaxWait)
		row, err = h.waitLocal(ctx, m.ID, Until(m.Until))
		cancel()
		if h.env.Ctx.Err() != nil || !h.env.Member.Serves(m.ID) {
			// This member stops, or the instance moved while it waited: the asker
			// follows it to its next member.
			return &wire.ReadResult{Code: wire.CodeRetry, Message: "instance moved"}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = nil
		}
	case *wire.List:
		return h.listLocal(h.env.Ctx, m.Query)
	default:
		return &wire.ReadResult{Code: wire.CodeInvalid, Message: fmt.Sprintf("readers take no %T", msg)}
	}
	switch {
	case errors.Is(err, ErrInstanceNotFound):
		return &wire.ReadResult{Code: wire.CodeNotFound, Message: err.Error()}
	case err != nil:
		return &wire.ReadResult{Code: wire.CodeInternal, Message: err.Error()}
	}
	return &wire.ReadResult{Code: wire.CodeOK, Row: row, History: hist}
}

// askReader sends msg to the reader of the member serving id, retrying while the
// instance moves, for at most timeout per attempt.
func (h *Host) askReader(ctx context.Context, id string, msg any, timeout time.Duration) (*wire.ReadResult, error) {
	packed, err := wire.Pack(msg)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		addr, local, ok := h.env.Member.Owner(id)
		var res *wire.ReadResult
		switch {
		case !ok:
			res = &wire.ReadResult{Code: wire.CodeRetry, Message: "no member serves the instance's partition now"}
		case local:
			res, _ = h.serveRead(packed).(*wire.ReadResult)
		default:
			got, err := h.env.Member.AskPeer(addr, readerName, packed, timeout)
			if err != nil {
				res = &wire.ReadResult{Code: wire.CodeRetry, Message: err.Error()}
			} else if a, ok := got.(*anypb.Any); ok {
				if m, err := wire.Unpack(a); err == nil {
					res, _ = m.(*wire.ReadResult)
				}
			}
			if res == nil {
				return nil, fmt.Errorf("instance %q: unexpected answer %T from its member", id, got)
			}
		}
		switch {
		case res.Code == wire.CodeOK:
			return res, nil
		case res.Code == wire.CodeNotFound:
			return nil, fmt.Errorf("%w: %q", ErrInstanceNotFound, id)
		case res.Code != wire.CodeRetry:
			return nil, errors.New(res.Message)
		case attempt >= 20 || !ok && attempt >= 3:
			// Nobody serving the instance now is worth a prompt 503: the owner may be
			// down for a while, and the caller may retry.
			return nil, fmt.Errorf("%w: instance %q: %s", ErrUnavailable, id, res.Message)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 25 * time.Millisecond):
		}
	}
}
