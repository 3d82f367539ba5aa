package entity

import (
	"fmt"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/persistence"
	"github.com/vmihailenco/msgpack/v5"
)

// entityRecordVersion prefixes the encoded record, so its layout can change later.
// Version 2 added the scheduled signals' timers; a version 1 record is read with
// unlisted timers, whose firings all apply.
const (
	entityRecordVersion = 2
	entityRecordFields  = 8
)

// EncodeMsgpack writes the record field by field: an entity checkpoint encodes it on
// every turn, and msgpack's reflection walk cost more than the operations themselves.
func (r *entityRecord) EncodeMsgpack(e *msgpack.Encoder) error {
	if err := e.EncodeArrayLen(entityRecordFields); err != nil {
		return err
	}
	_ = e.EncodeInt(entityRecordVersion)
	_ = e.EncodeBytes(r.State)
	if err := e.EncodeMapLen(len(r.Senders)); err != nil {
		return err
	}
	for k, m := range r.Senders {
		_ = e.EncodeString(k)
		_ = e.EncodeInt(m.Seq)
		_ = e.EncodeTime(m.Seen)
	}
	if err := e.Encode(r.Lock); err != nil {
		return err
	}
	if err := e.Encode(r.Held); err != nil {
		return err
	}
	_ = e.EncodeString(r.Incarnation)
	if err := e.EncodeArrayLen(len(r.Scheduled)); err != nil {
		return err
	}
	for _, id := range r.Scheduled {
		_ = e.EncodeInt(id)
	}
	return e.EncodeBool(r.TimersUnlisted)
}

// DecodeMsgpack reads what EncodeMsgpack wrote.
func (r *entityRecord) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	v, err := d.DecodeInt()
	if err != nil {
		return err
	}
	switch {
	case v == 1 && n == 6:
		r.TimersUnlisted = true
	case v == entityRecordVersion && n == entityRecordFields:
	default:
		return fmt.Errorf("entity record version %d with %d fields is not supported", v, n)
	}
	if r.State, err = d.DecodeBytes(); err != nil {
		return err
	}
	if err := r.decodeSenders(d); err != nil {
		return err
	}
	if err := d.Decode(&r.Lock); err != nil {
		return err
	}
	if err := d.Decode(&r.Held); err != nil {
		return err
	}
	if r.Incarnation, err = d.DecodeString(); err != nil || v == 1 {
		return err
	}
	k, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	r.Scheduled = nil
	if k > 0 {
		r.Scheduled = make([]int64, k)
		for i := range r.Scheduled {
			if r.Scheduled[i], err = d.DecodeInt64(); err != nil {
				return err
			}
		}
	}
	r.TimersUnlisted, err = d.DecodeBool()
	return err
}

func (r *entityRecord) decodeSenders(d *msgpack.Decoder) error {
	n, err := d.DecodeMapLen()
	if err != nil || n <= 0 {
		return err
	}
	r.Senders = make(map[string]senderMark, n)
	for i := 0; i < n; i++ {
		k, err := d.DecodeString()
		if err != nil {
			return err
		}
		var m senderMark
		if m.Seq, err = d.DecodeInt64(); err != nil {
			return err
		}
		if m.Seen, err = d.DecodeTime(); err != nil {
			return err
		}
		r.Senders[k] = m
	}
	return nil
}

// Stored is what an entity's journal row says about it, for queries.
type Stored struct {
	State []byte
	// Lock is the orchestration execution holding the entity locked, if any.
	Lock *wire.LockRef
	// Empty: no state, no lock, nothing pending; the entity may be removed.
	Empty bool
}

// Decode reads the entity record kept in an entity's row.
func Decode(row *persistence.Instance) (Stored, error) {
	var rec entityRecord
	if err := msgpack.Unmarshal(row.Output, &rec); err != nil {
		return Stored{}, &persistence.CorruptionError{InstanceID: row.ID, Key: "entity record", Err: err}
	}
	return Stored{State: rec.State, Lock: rec.Lock, Empty: rec.empty()}, nil
}
