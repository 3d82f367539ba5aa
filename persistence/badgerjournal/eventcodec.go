package badgerjournal

import (
	"bytes"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/godurable/durable/history"
)

// encodeEvent writes e as msgpack's reflection encoder writes it (the same keys, the
// same omitempty rules, compact integers), several times faster: encoding events is
// most of the CPU an append costs. Decoding still goes through reflection. The tests
// compare both encoders on an Event with every field set, so a field added to
// history.Event but not here fails them.
func encodeEvent(enc *msgpack.Encoder, e *history.Event) error {
	w := eventWriter{enc: enc}
	n := 2 + count(e.ID != 0) + count(e.TaskID != 0) + count(e.Name != "") +
		count(e.InstanceID != "") + count(e.ExecutionID != "") + count(len(e.Input) > 0) +
		count(len(e.Result) > 0) + count(e.Failure != nil) + count(!e.FireAt.IsZero()) +
		count(e.Status != 0) + count(e.Parent != nil)
	w.do(enc.EncodeMapLen(n))
	w.uint("t", uint64(e.Type), true)
	w.time("ts", e.Time, true)
	w.int("id", e.ID)
	w.int("tid", e.TaskID)
	w.str("n", e.Name)
	w.str("i", e.InstanceID)
	w.str("x", e.ExecutionID)
	w.bytes("in", e.Input)
	w.bytes("out", e.Result)
	if e.Failure != nil {
		w.key("f")
		w.do(enc.Encode(e.Failure))
	}
	w.time("at", e.FireAt, false)
	w.uint("s", uint64(e.Status), false)
	if e.Parent != nil {
		w.key("p")
		w.do(enc.Encode(e.Parent))
	}
	return w.err
}

// encodeRow writes r as msgpack's reflection encoder writes it, for the same reason as
// encodeEvent: every append encodes its row, and reflection (its omitempty checks on
// times above all) made that a tenth of what an entity checkpoint costs.
func encodeRow(r *rowRecord) ([]byte, error) {
	var buf bytes.Buffer
	enc := newEncoder(&buf)
	defer msgpack.PutEncoder(enc)
	w := eventWriter{enc: enc}
	n := 2 + count(r.Name != "") + count(r.ExecutionID != "") + count(r.Status != 0) +
		count(len(r.CustomStatus) > 0) + count(r.Failure != nil) + count(r.Parent != nil)
	w.do(enc.EncodeMapLen(n))
	w.str("n", r.Name)
	w.str("x", r.ExecutionID)
	w.uint("s", uint64(r.Status), false)
	w.time("c", r.CreatedAt, true)
	w.time("u", r.UpdatedAt, true)
	w.bytes("cs", r.CustomStatus)
	if r.Failure != nil {
		w.key("f")
		w.do(enc.Encode(r.Failure))
	}
	if r.Parent != nil {
		w.key("p")
		w.do(enc.Encode(r.Parent))
	}
	return buf.Bytes(), w.err
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}

// eventWriter keeps the first error, so that encodeEvent reads as a field list.
type eventWriter struct {
	enc *msgpack.Encoder
	err error
}

func (w *eventWriter) do(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *eventWriter) key(k string) { w.do(w.enc.EncodeString(k)) }

func (w *eventWriter) uint(k string, v uint64, always bool) {
	if always || v != 0 {
		w.key(k)
		w.do(w.enc.EncodeUint(v))
	}
}

func (w *eventWriter) int(k string, v int64) {
	if v != 0 {
		w.key(k)
		w.do(w.enc.EncodeInt(v))
	}
}

func (w *eventWriter) str(k, v string) {
	if v != "" {
		w.key(k)
		w.do(w.enc.EncodeString(v))
	}
}

func (w *eventWriter) bytes(k string, v []byte) {
	if len(v) > 0 {
		w.key(k)
		w.do(w.enc.EncodeBytes(v))
	}
}

func (w *eventWriter) time(k string, v time.Time, always bool) {
	if always || !v.IsZero() {
		w.key(k)
		w.do(w.enc.EncodeTime(v))
	}
}

// decodeEvent is the counterpart of encodeEvent: it reads what the reflection decoder
// reads, skips keys it does not know (written by a later version), and is several times
// faster, which is most of what loading a history costs.
func decodeEvent(dec *msgpack.Decoder, e *history.Event) error {
	n, err := dec.DecodeMapLen()
	if err != nil {
		return err
	}
	for range n {
		key, err := dec.DecodeString()
		if err != nil {
			return err
		}
		if err := decodeEventField(dec, key, e); err != nil {
			return err
		}
	}
	return nil
}

func decodeEventField(dec *msgpack.Decoder, key string, e *history.Event) (err error) {
	var u uint64
	switch key {
	case "t":
		u, err = dec.DecodeUint64()
		e.Type = history.EventType(u)
	case "ts":
		e.Time, err = dec.DecodeTime()
	case "id":
		e.ID, err = dec.DecodeInt64()
	case "tid":
		e.TaskID, err = dec.DecodeInt64()
	case "n":
		e.Name, err = dec.DecodeString()
	case "i":
		e.InstanceID, err = dec.DecodeString()
	case "x":
		e.ExecutionID, err = dec.DecodeString()
	case "in":
		e.Input, err = dec.DecodeBytes()
	case "out":
		e.Result, err = dec.DecodeBytes()
	case "f":
		err = dec.Decode(&e.Failure)
	case "at":
		e.FireAt, err = dec.DecodeTime()
	case "s":
		u, err = dec.DecodeUint64()
		e.Status = history.RuntimeStatus(u)
	case "p":
		err = dec.Decode(&e.Parent)
	default:
		err = dec.Skip()
	}
	return err
}
