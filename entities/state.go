package entities

// state is an entity's state during a batch. It has up to two forms: raw, the JSON
// that is stored, and live, a decoded value that a Typed entity keeps from one
// operation to the next so a batch decodes the state once rather than once per
// operation.
//
// Invariants: the entity has state when raw or live is set; when live is set and
// dirty is false, raw is live's encoding; when dirty is true, raw is stale and live
// is the truth. raw is never modified in place (it is replaced), so copying the
// struct is a snapshot of everything but live's contents, which live.save and
// live.restore take care of.
type state struct {
	raw   []byte
	live  liveValue
	dirty bool
}

// liveValue is a decoded state value kept across the operations of a batch.
type liveValue interface {
	// encode returns the value's JSON.
	encode() ([]byte, error)
	// save is called before each operation while the value is live, so that restore
	// can undo what the operation did to it.
	save()
	// lasting reports whether the value may outlast its batch: whether decoding its
	// encoding gives it back exactly (see ApplyLive).
	lasting() bool
	// restore undoes the changes made since save, after the operation failed. It
	// reports false when the value cannot be restored; the caller then drops it and
	// falls back to raw, which the live value's owner keeps current for that case.
	restore() bool
}

func (s *state) exists() bool { return s.raw != nil || s.live != nil }

// json returns the current JSON of the state, nil when there is none.
func (s *state) json() ([]byte, error) {
	if s.live == nil {
		return s.raw, nil
	}
	// Encode even when raw is current: inside a Typed operation, the live value may
	// already hold changes the operation has not finished making.
	return s.live.encode()
}

// set replaces the state with raw JSON (nil deletes it).
func (s *state) set(raw []byte) { *s = state{raw: raw} }
