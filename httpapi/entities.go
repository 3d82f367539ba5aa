package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/internal/validate"
)

func entityID(r *http.Request) entities.ID {
	return entities.ID{Name: r.PathValue("name"), Key: r.PathValue("key")}
}

// getEntity serves GET /entities/{name}/{key}: the state itself, as the entity stored
// it, or with ?metadata=true (ours) the entity as a listing shows it, state included.
func (a *api) getEntity(w http.ResponseWriter, r *http.Request) {
	metadata, err := boolParam(r.URL.Query(), "metadata", false)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	st, err := a.c.Entity(r.Context(), entityID(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if metadata {
		writeJSON(w, http.StatusOK, toEntityJSON(st, true))
		return
	}
	writeRawJSON(w, http.StatusOK, st.State)
}

// signalEntity serves POST /entities/{name}/{key}?op=: a one-way signal with the body
// as the operation's input.
func (a *api) signalEntity(w http.ResponseWriter, r *http.Request) {
	op := r.URL.Query().Get("op")
	if op == "" {
		a.fail(w, r, errorf(http.StatusBadRequest, "InvalidParameter", "query parameter op (the operation name) is required"))
		return
	}
	body, err := decodeBody(w, r, a.maxBody)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, r, a.c.SignalEntity(r.Context(), entityID(r), op, body))
}

// deleteEntity serves DELETE /entities/{name}/{key}. Deleting is an operation like any
// other, so it is queued behind the entity's pending ones rather than done at once.
func (a *api) deleteEntity(w http.ResponseWriter, r *http.Request) {
	a.accepted(w, r, a.c.SignalEntity(r.Context(), entityID(r), "delete", nil))
}

// entityJSON is one entry of an entity listing. State is a pointer so that a listing
// with fetchState shows a stateless entity as "state": null, and one without omits it.
// LockedBy, ours, names the orchestration holding the entity in a critical section.
type entityJSON struct {
	EntityID          entityIDJSON     `json:"entityId"`
	LastOperationTime string           `json:"lastOperationTime"`
	LockedBy          string           `json:"lockedBy,omitempty"`
	State             *json.RawMessage `json:"state,omitempty"`
}

func toEntityJSON(e *durable.EntityState, withState bool) entityJSON {
	ej := entityJSON{EntityID: entityIDJSON{Name: e.ID.Name, Key: e.ID.Key}, LastOperationTime: formatTime(e.LastOperation),
		LockedBy: e.LockedBy}
	if withState {
		state := rawJSON(e.State)
		ej.State = &state
	}
	return ej
}

type entityIDJSON struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// listEntities serves GET /entities[/{name}].
func (a *api) listEntities(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := r.PathValue("name")
	if name != "" {
		if err := validate.EntityName(name); err != nil {
			a.fail(w, r, errorf(http.StatusBadRequest, "InvalidInput", "%v", err))
			return
		}
	}
	query := durable.EntityQuery{Name: name}
	var err error
	query.WithState, err = boolParam(q, "fetchState", false)
	if err == nil {
		query.Continuation, err = continuation(r)
	}
	if err == nil {
		query.LastOperationFrom, err = timeParam(q, "lastOperationTimeFrom")
	}
	if err == nil {
		query.LastOperationTo, err = timeParam(q, "lastOperationTimeTo")
	}
	if err == nil {
		query.PageSize, err = intParam(q, "top", 100)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.c.ListEntities(r.Context(), query)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]entityJSON, 0, len(page.Entities))
	for _, e := range page.Entities {
		out = append(out, toEntityJSON(e, query.WithState))
	}
	setContinuation(w, page.Continuation)
	writeJSON(w, http.StatusOK, out)
}
