package badgerjournal

import (
	"bytes"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/godurable/durable/history"
)

// appendEvent appends e as msgpack's reflection encoder writes it (the same keys, the
// same omitempty rules, compact integers), several times faster: encoding events is
// most of the CPU an append costs. Decoding still goes through reflection. The tests
// compare both encoders on an Event with every field set, so a field added to
// history.Event but not here fails them.
func appendEvent(b []byte, e *history.Event) ([]byte, error) {
	n := 2 + count(e.ID != 0) + count(e.TaskID != 0) + count(e.Name != "") +
		count(e.InstanceID != "") + count(e.ExecutionID != "") + count(len(e.Input) > 0) +
		count(len(e.Result) > 0) + count(e.Failure != nil) + count(!e.FireAt.IsZero()) +
		count(e.Status != 0) + count(e.Parent != nil) + count(e.Version != "") + count(e.Trace != "")
	b = appendMapLen(b, n)
	b = appendUint(appendStr(b, "t"), uint64(e.Type))
	b = appendTime(appendStr(b, "ts"), e.Time)
	b = intField(b, "id", e.ID)
	b = intField(b, "tid", e.TaskID)
	b = strField(b, "n", e.Name)
	b = strField(b, "i", e.InstanceID)
	b = strField(b, "x", e.ExecutionID)
	b = binField(b, "in", e.Input)
	b = binField(b, "out", e.Result)
	var err error
	if e.Failure != nil {
		if b, err = appendReflected(appendStr(b, "f"), e.Failure); err != nil {
			return nil, err
		}
	}
	if !e.FireAt.IsZero() {
		b = appendTime(appendStr(b, "at"), e.FireAt)
	}
	if e.Status != 0 {
		b = appendUint(appendStr(b, "s"), uint64(e.Status))
	}
	if e.Parent != nil {
		if b, err = appendReflected(appendStr(b, "p"), e.Parent); err != nil {
			return nil, err
		}
	}
	b = strField(b, "v", e.Version)
	b = strField(b, "tr", e.Trace)
	return b, nil
}

// encodeRow writes r as msgpack's reflection encoder writes it, for the same reason as
// appendEvent: every append encodes its row, and reflection (its omitempty checks on
// times above all) made that a tenth of what an entity checkpoint costs.
func encodeRow(r *rowRecord) ([]byte, error) {
	n := 2 + count(r.Name != "") + count(r.ExecutionID != "") + count(r.Status != 0) +
		count(len(r.CustomStatus) > 0) + count(r.Failure != nil) + count(r.Parent != nil) + count(r.Version != "")
	b := make([]byte, 0, 64+len(r.Name)+len(r.ExecutionID)+len(r.CustomStatus)+len(r.Version))
	b = appendMapLen(b, n)
	b = strField(b, "n", r.Name)
	b = strField(b, "x", r.ExecutionID)
	if r.Status != 0 {
		b = appendUint(appendStr(b, "s"), uint64(r.Status))
	}
	b = appendTime(appendStr(b, "c"), r.CreatedAt)
	b = appendTime(appendStr(b, "u"), r.UpdatedAt)
	b = binField(b, "cs", r.CustomStatus)
	var err error
	if r.Failure != nil {
		if b, err = appendReflected(appendStr(b, "f"), r.Failure); err != nil {
			return nil, err
		}
	}
	if r.Parent != nil {
		if b, err = appendReflected(appendStr(b, "p"), r.Parent); err != nil {
			return nil, err
		}
	}
	return strField(b, "v", r.Version), nil
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The field appenders skip empty values, as omitempty does.

func intField(b []byte, k string, v int64) []byte {
	if v == 0 {
		return b
	}
	return appendMsgInt(appendStr(b, k), v)
}

func strField(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return appendStr(appendStr(b, k), v)
}

func binField(b []byte, k string, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return appendBin(appendStr(b, k), v)
}

// appendReflected appends v as the reflection encoder writes it, for the rare values
// (failures, parents) not worth an appender of their own.
func appendReflected(b []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	enc := newEncoder(buf)
	err := enc.Encode(v)
	msgpack.PutEncoder(enc)
	return buf.Bytes(), err
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
	case "v":
		e.Version, err = dec.DecodeString()
	case "tr":
		e.Trace, err = dec.DecodeString()
	default:
		err = dec.Skip()
	}
	return err
}
