package entities

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Typed returns the Func of an entity whose state is a T and whose operations are the
// exported methods of *T, matched to operation names case-insensitively. A method has
// one of the forms
//
//	func (t *T) Op()                      func (t *T) Op(in In)
//	func (t *T) Op(ctx *Context)          func (t *T) Op(ctx *Context, in In)
//
// and returns nothing, Out, error, or (Out, error); In is decoded from the operation's
// JSON input (zero In when there is none) and Out becomes its result.
//
// Before an operation the state is decoded into a fresh T (the zero T when the entity
// has no state); after it the T is the new state, unless the method called
// ctx.DeleteState or ctx.SetState, which then have the last word. Only what encoding/json
// encodes is kept: keep the state in exported fields. A T without a Delete method gets
// "delete" from Apply, which deletes the state. The JSON hooks MarshalJSON,
// UnmarshalJSON, MarshalText and UnmarshalText are not operations.
//
// Within a batch the T is decoded once and handed from one operation to the next
// (see the package documentation for how failures are rolled back).
//
// Typed inspects T once. It panics when T is not a struct or an exported method of *T
// has another form, naming the method: that is a programming error, and registration
// is the time to find it.
func Typed[T any]() Func {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("entities.Typed: the state type must be a struct, %v is a %v", t, t.Kind()))
	}
	e := &typedEntity[T]{name: t.String(), ops: methodsOf[T](t)}
	e.flat, e.floats = flatType(t)
	e.exact = e.flat && exactType(t)
	return e.apply
}

// typedEntity is what Typed learned about T.
type typedEntity[T any] struct {
	name string // T's name, for errors
	// ops maps each method's name, and its lower-cased name, to the method, so that
	// the usual spellings of an operation are found without allocating.
	ops map[string]*method
	// flat means a copy of a T is a full snapshot and encoding a T fails only on
	// non-finite floats, which floats says it may hold (see flatType).
	flat, floats bool
	// exact means a T decoded from its own encoding is the same T (see exactType),
	// so a live T may outlast its batch.
	exact bool
}

// holder is a T kept live across the operations of a batch.
type holder[T any] struct {
	v, saved T
	e        *typedEntity[T]
}

func (h *holder[T]) encode() ([]byte, error) { return json.Marshal(&h.v) }

func (h *holder[T]) save() {
	if h.e.flat {
		h.saved = h.v
	}
}

func (h *holder[T]) lasting() bool { return h.e.exact }

func (h *holder[T]) restore() bool {
	if h.e.flat {
		h.v = h.saved
	}
	return h.e.flat
}

// apply is the Func of the entity.
func (e *typedEntity[T]) apply(c *Context) error {
	m := e.lookup(c.op.Name)
	if m == nil {
		return &UnknownOperationError{Entity: c.id, Operation: c.op.Name}
	}
	h, err := e.live(c)
	if err != nil {
		return err
	}
	if err := m.call(c, &h.v); err != nil {
		return err
	}
	if c.st.live != liveValue(h) {
		return nil // the method set or deleted the state itself
	}
	return e.keep(c, h)
}

func (e *typedEntity[T]) lookup(op string) *method {
	if m, ok := e.ops[op]; ok {
		return m
	}
	return e.ops[strings.ToLower(op)]
}

// live returns the T the operation works on: the one the previous operation of the
// batch left, or else a T decoded from the state.
func (e *typedEntity[T]) live(c *Context) (*holder[T], error) {
	if h, ok := c.st.live.(*holder[T]); ok && h.e == e {
		return h, nil
	}
	raw, err := c.st.json()
	if err != nil {
		return nil, c.errorf("encode state: %w", err)
	}
	h := &holder[T]{e: e}
	if raw != nil {
		if err := json.Unmarshal(raw, &h.v); err != nil {
			return nil, &DecodeError{Entity: c.id, Operation: c.op.Name, State: true, Into: e.name, Err: err}
		}
	}
	// raw stays the encoding of h.v, as far as JSON can tell, so the state is not dirty.
	c.st = state{raw: raw, live: h}
	return h, nil
}

// keep makes the T the state after a successful method. A flat T is encoded once, at
// the end of the batch; any other T is encoded now, both to catch a T that does not
// encode while the operation can still fail, and because its encoding is what a
// failure of the next operation rolls back to.
func (e *typedEntity[T]) keep(c *Context, h *holder[T]) error {
	if e.flat {
		if e.floats && !finite(reflect.ValueOf(&h.v).Elem()) {
			if _, err := json.Marshal(&h.v); err != nil {
				return c.errorf("encode state: %w", err)
			}
		}
		c.st.dirty = true
		return nil
	}
	b, err := json.Marshal(&h.v)
	if err != nil {
		return c.errorf("encode state: %w", err)
	}
	c.st.raw, c.st.dirty = b, false
	return nil
}

var (
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// exactType reports whether every value of the flat type t comes back unchanged from
// a JSON round trip, so that a decoded value may stand for its encoding beyond the
// batch that decoded it: no unexported, embedded or skipped fields (JSON drops them),
// no custom decoding, and no strings (invalid UTF-8 would come back changed).
func exactType(t reflect.Type) bool {
	for _, m := range []reflect.Type{jsonUnmarshaler, textUnmarshaler} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return false
		}
	}
	switch t.Kind() {
	case reflect.String:
		return false
	case reflect.Array:
		return exactType(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Anonymous || f.Tag.Get("json") == "-" || !exactType(f.Type) {
				return false
			}
		}
	}
	return true
}

// flatType reports whether t is flat: made of booleans, integers, strings, floats and
// arrays and structs of them, with no custom encoding. Copying a flat value copies all
// of it (strings are immutable), so the copy is a snapshot to roll back to; and
// encoding it fails only on a NaN or infinite float, reported by floats.
func flatType(t reflect.Type) (flat, floats bool) {
	for _, m := range []reflect.Type{jsonMarshaler, textMarshaler} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return false, false
		}
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true, false
	case reflect.Float32, reflect.Float64:
		return true, true
	case reflect.Array:
		return flatType(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			f, fl := flatType(t.Field(i).Type)
			if !f {
				return false, false
			}
			floats = floats || fl
		}
		return true, floats
	}
	return false, false
}

// finite reports whether the floats of a flat value are all finite, as JSON needs.
func finite(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		return f-f == 0 // false for NaN and ±Inf
	case reflect.Array:
		for i := range v.Len() {
			if !finite(v.Index(i)) {
				return false
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !finite(v.Field(i)) {
				return false
			}
		}
	}
	return true
}
