package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godurable/durable/actors/internal/entity"
	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/validate"
	"github.com/godurable/durable/persistence"
)

// Errors of the entity operations.
var (
	ErrUnknownEntity  = errors.New("unknown entity")
	ErrEntityNotFound = errors.New("entity not found")
)

// SignalOptions configures SignalEntity.
type SignalOptions struct {
	// At delays delivery until then (zero: now).
	At time.Time
	// IdempotencyKey makes the signal apply once however often it is sent with that
	// key (while the entity remembers it: a day, for its most recent senders).
	IdempotencyKey string
}

// SignalEntity sends operation with input (JSON) to the entity id, one-way. It returns
// once the entity has durably accepted the signal.
func (h *Host) SignalEntity(ctx context.Context, id entities.ID, operation string, input []byte, o SignalOptions) error {
	if err := h.checkEntity(id); err != nil {
		return err
	}
	if err := validate.Name("operation name", operation); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	if err := h.checkPayload("signal input", input); err != nil {
		return err
	}
	m := &wire.EntityMsg{Kind: wire.EntityOperation, Op: operation, Input: input, At: o.At, Trace: h.env.Tel.Signal(ctx, id.String(), operation)}
	if o.IdempotencyKey != "" {
		m.From, m.Seq = "key:"+o.IdempotencyKey, 1
	}
	return h.callActor(ctx, id.String(), m)
}

func (h *Host) checkEntity(id entities.ID) error {
	if err := id.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	if _, ok := h.cfg.Registry.Entity(id.Name); !ok && h.cfg.Registry.RemoteEntities() == nil {
		return fmt.Errorf("%w: %q is not registered", ErrUnknownEntity, id.Name)
	}
	return nil
}

// EntityInfo describes a stored entity.
type EntityInfo struct {
	ID            entities.ID
	LastOperation time.Time
	// State is the entity's JSON state, when asked for.
	State []byte
	// LockedBy is the orchestration holding the entity locked, if any.
	LockedBy string
}

// EntityState returns the entity's last committed state, or ErrEntityNotFound when
// it has none.
func (h *Host) EntityState(ctx context.Context, id entities.ID) (*EntityInfo, error) {
	if err := id.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	row, _, err := h.readRow(ctx, id.String(), false)
	if errors.Is(err, ErrInstanceNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrEntityNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	info, rec, err := entityInfo(row, true)
	if err != nil {
		return nil, err
	}
	if rec.State == nil {
		return nil, fmt.Errorf("%w: %s has no state", ErrEntityNotFound, id)
	}
	return info, nil
}

func entityInfo(row *persistence.Instance, withState bool) (*EntityInfo, entity.Stored, error) {
	id, err := entities.ParseID(row.ID)
	if err != nil {
		return nil, entity.Stored{}, err
	}
	st, err := entity.Decode(row)
	if err != nil {
		return nil, entity.Stored{}, err
	}
	info := &EntityInfo{ID: id, LastOperation: row.UpdatedAt}
	if withState {
		info.State = st.State
	}
	if st.Lock != nil {
		info.LockedBy = st.Lock.Owner
	}
	return info, st, nil
}

// EntityQuery selects entities for ListEntities. Zero fields do not filter.
type EntityQuery struct {
	Name              string
	LastOperationFrom time.Time // inclusive
	LastOperationTo   time.Time // exclusive
	PageSize          int
	Continuation      string
	WithState         bool
}

// ListEntities returns stored entities in id order and the next page's token.
func (h *Host) ListEntities(ctx context.Context, q EntityQuery) ([]*EntityInfo, string, error) {
	prefix := "@"
	if q.Name != "" {
		prefix = entities.ID{Name: q.Name}.String() // "@name@"
	}
	rows, next, err := h.list(ctx, persistence.Query{
		Entities: true, IDPrefix: prefix, UpdatedFrom: q.LastOperationFrom, UpdatedTo: q.LastOperationTo,
		PageSize: q.PageSize, Continuation: q.Continuation, WithPayloads: true,
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]*EntityInfo, 0, len(rows))
	for _, r := range rows {
		info, _, err := entityInfo(r, q.WithState)
		if err != nil {
			h.env.Log.Warn("entity listing skips an undecodable entity", "entity", r.ID, "error", err)
			continue
		}
		out = append(out, info)
	}
	return out, next, nil
}

// CleanEntityStorage releases locks held by orchestrations that are no longer running
// and removes entities left without state. It returns how many of each it handled.
func (h *Host) CleanEntityStorage(ctx context.Context) (released, removed int, err error) {
	q := EntityQuery{PageSize: 500}
	for {
		page, next, err := h.ListEntities(ctx, q)
		if err != nil {
			return released, removed, err
		}
		for _, e := range page {
			r, d, err := h.cleanEntity(ctx, e)
			if err != nil {
				return released, removed, err
			}
			released, removed = released+r, removed+d
		}
		if next == "" {
			return released, removed, nil
		}
		q.Continuation = next
	}
}

func (h *Host) cleanEntity(ctx context.Context, e *EntityInfo) (released, removed int, err error) {
	row, _, err := h.readRow(ctx, e.ID.String(), false)
	if err != nil {
		return 0, 0, nil // gone meanwhile
	}
	_, rec, err := entityInfo(row, true)
	if err != nil {
		return 0, 0, nil
	}
	if rec.Lock != nil && !h.running(ctx, rec.Lock.Owner) {
		m := &wire.EntityMsg{Kind: wire.EntityUnlock, Lock: &wire.LockRef{Owner: rec.Lock.Owner, ExecutionID: rec.Lock.ExecutionID}}
		if err := h.callActor(ctx, e.ID.String(), m); err != nil {
			return 0, 0, err
		}
		released = 1
	}
	if rec.Empty {
		// Waking the entity lets it delete its own storage once nothing is pending.
		if err := h.callActor(ctx, e.ID.String(), &wire.Delivered{}); err != nil {
			return released, 0, err
		}
		removed = 1
	}
	return released, removed, nil
}

func (h *Host) running(ctx context.Context, instanceID string) bool {
	row, _, err := h.readRow(ctx, instanceID, false)
	return err == nil && !row.Status.IsTerminal() && row.Status != history.StatusContinuedAsNew
}
