package actors

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/persistence"
)

// list returns one page of the instances matching q across the cluster: every member
// lists the instances it serves after the continuation, and the pages merge in the
// listing's order. The continuation names the last instance returned by its place in
// that order, so it is good on any member.
func (h *Host) list(ctx context.Context, q persistence.Query) ([]*persistence.Instance, string, error) {
	// Checked here, once: a member's refusal would come back as a failure to list.
	if err := q.Validate(); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	peers := h.env.Member.Peers()
	if len(peers) == 1 && peers[0] == h.env.Member.System.Address() {
		return h.env.Journal.List(ctx, q)
	}
	size := q.Limit()
	type part struct {
		res *wire.ListResult
		err error
	}
	parts := make([]part, len(peers))
	var wg sync.WaitGroup
	for i, addr := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i].res, parts[i].err = h.listAt(ctx, addr, q)
		}()
	}
	wg.Wait()
	var rows []*persistence.Instance
	more := false
	for i, p := range parts {
		if p.err != nil {
			return nil, "", fmt.Errorf("%w: listing the instances of member %s: %v", ErrUnavailable, peers[i], p.err)
		}
		rows = append(rows, p.res.Rows...)
		more = more || p.res.More
	}
	slices.SortFunc(rows, func(a, b *persistence.Instance) int { return q.Compare(q.CursorOf(a), q.CursorOf(b)) })
	if len(rows) > size {
		rows, more = rows[:size], true
	}
	next := ""
	if more && len(rows) > 0 {
		next = q.Token(q.CursorOf(rows[len(rows)-1]))
	}
	return rows, next, nil
}

// listAt asks the member at addr for its page.
func (h *Host) listAt(ctx context.Context, addr string, q persistence.Query) (*wire.ListResult, error) {
	if addr == h.env.Member.System.Address() {
		return h.listLocal(ctx, q), nil
	}
	packed, err := wire.Pack(&wire.List{Query: q})
	if err != nil {
		return nil, err
	}
	got, err := h.env.Member.AskPeer(addr, readerName, packed, h.cfg.RequestTimeout)
	if err != nil {
		return nil, err
	}
	if a, ok := got.(*anypb.Any); ok {
		if m, err := wire.Unpack(a); err == nil {
			if res, ok := m.(*wire.ListResult); ok {
				if res.Code != wire.CodeOK {
					return nil, fmt.Errorf("%s", res.Message)
				}
				return res, nil
			}
		}
	}
	return nil, fmt.Errorf("unexpected answer %T", got)
}

// listLocal lists the instances of the partitions this member serves; those of
// partitions it kept from an earlier ownership are someone else's to list.
func (h *Host) listLocal(ctx context.Context, q persistence.Query) *wire.ListResult {
	size := q.Limit() // the journal's bound holds across the pages gathered here
	res := &wire.ListResult{}
	for {
		rows, next, err := h.env.Journal.List(ctx, q)
		if err != nil {
			return &wire.ListResult{Code: wire.CodeInternal, Message: err.Error()}
		}
		for _, r := range rows {
			if !h.env.Member.Serves(r.ID) {
				continue
			}
			if len(res.Rows) == size {
				res.More = true
				return res
			}
			res.Rows = append(res.Rows, r)
		}
		if next == "" {
			return res
		}
		q.Continuation = next
	}
}
