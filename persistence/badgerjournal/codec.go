package badgerjournal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/godurable/durable/history"
)

// Every value is sealed: a format byte, the body, and a checksum, the CRC-32C of both
// XORed with the CRC-32C of the value's key. Badger does not verify values by default,
// and a flipped bit in a history event would otherwise be replayed as if it were true.
// The key's share binds the value to its key: a value that ends up under another key
// (a misdirected write, the rows of two instances swapped) is as wrong as a flipped
// bit, and, with the id living in the key only, would otherwise read as the other
// instance's. It is XORed in, rather than checksummed with the value, so that a
// history chunk sealed before the committer knows its key is bound by rewriting the
// last four bytes (chunk.bind).
const (
	formatV1 = 1
	sealSize = 1 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	errShortValue   = errors.New("value shorter than its envelope")
	errChecksum     = errors.New("checksum mismatch: the value is damaged, or was written under another key")
	errFormat       = errors.New("unknown value format")
	errChunkOrder   = errors.New("history chunk out of sequence")
	errHistoryCount = errors.New("history length disagrees with the index row")
)

// seal appends the checksum of b as the value of key.
func seal(key, b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)^keySum(key))
}

func keySum(key []byte) uint32 { return crc32.Checksum(key, castagnoli) }

// unseal checks v, the value of key, and returns its body, which aliases v.
func unseal(key, v []byte) ([]byte, error) { return unsealAs(key, v, formatV1) }

// unsealAs is unseal for a value whose format byte must be format.
func unsealAs(key, v []byte, format byte) ([]byte, error) {
	return unsealWith(keySum(key), v, format)
}

// unsealWith is unsealAs for a value whose checksum has share bound into it: its key's,
// and anything else it was bound to.
func unsealWith(share uint32, v []byte, format byte) ([]byte, error) {
	if len(v) < sealSize {
		return nil, errShortValue
	}
	n := len(v) - 4
	if crc32.Checksum(v[:n], castagnoli)^share != binary.LittleEndian.Uint32(v[n:]) {
		return nil, errChecksum
	}
	if v[0] != format {
		return nil, fmt.Errorf("%w %d", errFormat, v[0])
	}
	return v[1:n], nil
}

// sealRaw stores bytes that need no encoding, such as JSON payloads, under key.
func sealRaw(key, raw []byte) []byte {
	b := make([]byte, 0, len(raw)+sealSize)
	b = append(b, formatV1)
	return seal(key, append(b, raw...))
}

func unsealRaw(key, v []byte) ([]byte, error) {
	body, err := unseal(key, v)
	if err != nil || len(body) == 0 {
		return nil, err
	}
	return bytes.Clone(body), nil
}

func newEncoder(buf *bytes.Buffer) *msgpack.Encoder {
	enc := msgpack.GetEncoder()
	enc.Reset(buf)
	enc.UseCompactInts(true)
	return enc
}

// encodeValue encodes and seals v as the value of key.
func encodeValue(key []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte(formatV1)
	enc := newEncoder(&buf)
	err := enc.Encode(v)
	msgpack.PutEncoder(enc)
	if err != nil {
		return nil, err
	}
	return seal(key, buf.Bytes()), nil
}

// decodeValue fills out from v, the value of key. Decoded byte slices and strings are
// fresh copies, so out never aliases v, which Badger reuses after the read.
func decodeValue(key, v []byte, out any) error {
	body, err := unseal(key, v)
	if err != nil {
		return err
	}
	return decodeBody(body, out)
}

func decodeBody(body []byte, out any) (err error) {
	if err := checkMsgpack(body); err != nil {
		return err
	}
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(bytes.NewReader(body))
	// The reflection decoder panics on a nil where a time.Time is stored (it asks the
	// struct IsNil), so five bytes of a timer, {"at": nil}, that passed the checksum
	// crashed the timer scan. Such a value is malformed like any other.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errMalformedMsgpack, r)
		}
	}()
	return dec.Decode(out)
}

// rowRecord is the msgpack body of a stored index row. The id lives in the key; the
// version, history length, inline payloads and inline history sit next to the body in
// the row value (see rows.go).
type rowRecord struct {
	Name         string                `msgpack:"n,omitempty"`
	ExecutionID  string                `msgpack:"x,omitempty"`
	Status       history.RuntimeStatus `msgpack:"s,omitempty"`
	CreatedAt    time.Time             `msgpack:"c"`
	UpdatedAt    time.Time             `msgpack:"u"`
	CustomStatus []byte                `msgpack:"cs,omitempty"`
	Failure      *history.Failure      `msgpack:"f,omitempty"`
	Parent       *history.ParentRef    `msgpack:"p,omitempty"`
	Version      string                `msgpack:"v,omitempty"`
}

// timerRecord holds what the key does not: the exact due time survives even where the
// key had to clamp it.
type timerRecord struct {
	ExecutionID string    `msgpack:"x,omitempty"`
	FireAt      time.Time `msgpack:"at"`
	Payload     []byte    `msgpack:"p,omitempty"`
}

type messageRecord struct {
	To      string `msgpack:"to"`
	Payload []byte `msgpack:"p,omitempty"`
}

// maxChunkBytes bounds one history value. One append is normally one chunk; a huge
// append is cut into several, each well below Badger's value threshold (so it stays in
// the LSM tree and the in-memory mode accepts it), and all of them still go into the
// append's single transaction.
const maxChunkBytes = 256 << 10

// chunk is one stored history value and the number of events it holds. It is sealed
// before its key is known, which depends on the history's length when it is written:
// sum is its checksum without the key's share, which bind adds.
type chunk struct {
	value []byte
	n     int
	sum   uint32
}

// bind completes the chunk's checksum as the value of key in history generation gen,
// and returns the value. It may be called again, for another key, should the chunk be
// written again.
func (c *chunk) bind(key []byte, gen uint32) []byte {
	binary.LittleEndian.PutUint32(c.value[len(c.value)-4:], c.sum^keySum(key)^gen)
	return c.value
}

// encodeEvents encodes events one after the other, with no array header, and returns
// where each one ends. This is the form history takes inside a row, and the body of a
// chunk.
func encodeEvents(events []history.Event) ([]byte, []int, error) {
	if len(events) == 0 {
		return nil, nil, nil
	}
	b := make([]byte, 0, 96*len(events))
	ends := make([]int, len(events))
	for i := range events {
		var err error
		if b, err = appendEvent(b, &events[i]); err != nil {
			return nil, nil, err
		}
		ends[i] = len(b)
	}
	return b, ends, nil
}

// cutChunks cuts encoded events into chunks at event boundaries. An event larger than
// maxChunkBytes gets a chunk of its own.
func cutChunks(all []byte, ends []int) []chunk {
	var chunks []chunk
	start, first := 0, 0
	for i, end := range ends {
		last := i == len(ends)-1
		if !last && ends[i+1]-start <= maxChunkBytes {
			continue
		}
		chunks = append(chunks, sealChunk(i+1-first, all[start:end]))
		start, first = end, i+1
	}
	return chunks
}

// sealChunk seals n encoded events, given in one or more pieces, as one chunk, which
// must be bound to its key before it is stored.
func sealChunk(n int, events ...[]byte) chunk {
	size := 1 + 5 + 4
	for _, e := range events {
		size += len(e)
	}
	b := make([]byte, 0, size)
	b = append(b, formatV1)
	b = appendArrayLen(b, n)
	for _, e := range events {
		b = append(b, e...)
	}
	v := seal(nil, b) // the CRC of an empty key is 0: this is the sum without the key's share
	return chunk{value: v, n: n, sum: binary.LittleEndian.Uint32(v[len(v)-4:])}
}

// appendArrayLen writes a msgpack array header, so that a chunk decodes as a plain
// array of events.
func appendArrayLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
}

// decodeChunk appends the events of one chunk, the value of key in history generation
// gen, to events.
func decodeChunk(key []byte, gen uint32, v []byte, events []history.Event) ([]history.Event, error) {
	body, err := unsealWith(keySum(key)^gen, v, formatV1)
	if err != nil {
		return events, err
	}
	if err := checkMsgpack(body); err != nil {
		return events, err
	}
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(bytes.NewReader(body))
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return events, err
	}
	return decodeEventsFrom(dec, n, events)
}

// decodeEvents decodes the n events of a row's inline history, which must be exactly
// those n: a count that disagrees with the bytes is a corruption.
func decodeEvents(b []byte, n int) ([]history.Event, error) {
	if err := checkMsgpack(b); err != nil {
		return nil, err
	}
	r := bytes.NewReader(b)
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(r)
	// bounded: the count is only a hint until checked
	events, err := decodeEventsFrom(dec, n, make([]history.Event, 0, min(n, len(b))))
	if err != nil {
		return nil, err
	}
	if r.Len() != 0 {
		return nil, errHistoryCount
	}
	return events, nil
}

func decodeEventsFrom(dec *msgpack.Decoder, n int, events []history.Event) ([]history.Event, error) {
	for range n {
		events = append(events, history.Event{})
		if err := decodeEvent(dec, &events[len(events)-1]); err != nil {
			return events, err
		}
	}
	return events, nil
}

var errMalformedKey = errors.New("malformed key")
