package durable

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/godurable/durable/actors"
	"github.com/godurable/durable/entities"
)

// Errors of the entity operations.
var (
	ErrUnknownEntity  = actors.ErrUnknownEntity
	ErrEntityNotFound = actors.ErrEntityNotFound
)

// RegisterEntity registers fn as the entity name: a function taking each operation in
// turn, or entities.Typed[T]() for a struct whose methods are the operations.
func (r *Runtime) RegisterEntity(name string, fn entities.Func) error {
	if err := (entities.ID{Name: name, Key: "k"}).Validate(); err != nil {
		return err
	}
	if fn == nil {
		return errors.New("durable: entity function is nil")
	}
	r.registry.AddEntity(name, fn)
	return nil
}

// SignalOption configures SignalEntity.
type SignalOption func(*signalOptions)

type signalOptions struct {
	at             time.Time
	idempotencyKey string
}

// SignalAt delivers the signal no earlier than t; the wait is durable.
func SignalAt(t time.Time) SignalOption { return func(o *signalOptions) { o.at = t } }

// WithIdempotencyKey applies the signal once however often it is sent with key, so a
// client that did not hear back may simply send it again.
func WithIdempotencyKey(key string) SignalOption {
	return func(o *signalOptions) { o.idempotencyKey = key }
}

// SignalEntity sends operation with input (JSON-encodable) to the entity id without
// waiting for it to run. It returns once the entity has durably accepted the signal.
func (c *Client) SignalEntity(ctx context.Context, id entities.ID, operation string, input any, opts ...SignalOption) error {
	h, err := c.rt.started()
	if err != nil {
		return err
	}
	b, err := encode("signal input", input)
	if err != nil {
		return err
	}
	var o signalOptions
	for _, f := range opts {
		f(&o)
	}
	return h.SignalEntity(ctx, id, operation, b, actors.SignalOptions{At: o.at, IdempotencyKey: o.idempotencyKey})
}

// EntityState is a snapshot of a stored entity.
type EntityState struct {
	ID            entities.ID
	LastOperation time.Time
	// State is the entity's JSON state; empty in listings that did not ask for it.
	State json.RawMessage
	// LockedBy is the orchestration holding the entity in a critical section, if any.
	LockedBy string
}

// DecodeState decodes the entity's state into v.
func (s *EntityState) DecodeState(v any) error { return json.Unmarshal(s.State, v) }

// Entity returns the entity's last committed state, or ErrEntityNotFound.
func (c *Client) Entity(ctx context.Context, id entities.ID) (*EntityState, error) {
	h, err := c.rt.started()
	if err != nil {
		return nil, err
	}
	info, err := h.EntityState(ctx, id)
	if err != nil {
		return nil, err
	}
	return entityState(info), nil
}

func entityState(i *actors.EntityInfo) *EntityState {
	return &EntityState{ID: i.ID, LastOperation: i.LastOperation, State: nullable(i.State), LockedBy: i.LockedBy}
}

// EntityQuery selects entities. Zero fields do not filter.
type EntityQuery struct {
	Name              string
	LastOperationFrom time.Time // inclusive
	LastOperationTo   time.Time // exclusive
	PageSize          int       // default 100
	Continuation      string
	WithState         bool
}

// EntityPage is one page of an entity listing.
type EntityPage struct {
	Entities     []*EntityState
	Continuation string // empty on the last page
}

// ListEntities returns the stored entities matching q, in id order.
func (c *Client) ListEntities(ctx context.Context, q EntityQuery) (*EntityPage, error) {
	h, err := c.rt.started()
	if err != nil {
		return nil, err
	}
	infos, next, err := h.ListEntities(ctx, actors.EntityQuery{
		Name: q.Name, LastOperationFrom: q.LastOperationFrom, LastOperationTo: q.LastOperationTo,
		PageSize: q.PageSize, Continuation: q.Continuation, WithState: q.WithState,
	})
	if err != nil {
		return nil, err
	}
	p := &EntityPage{Continuation: next}
	for _, i := range infos {
		p.Entities = append(p.Entities, entityState(i))
	}
	return p, nil
}

// CleanEntityStorage releases entity locks held by orchestrations that are no longer
// running and removes entities left without state; it returns how many of each.
func (c *Client) CleanEntityStorage(ctx context.Context) (released, removed int, err error) {
	h, err := c.rt.started()
	if err != nil {
		return 0, 0, err
	}
	return h.CleanEntityStorage(ctx)
}
