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

// Every value is sealed: a format byte, the body, and a CRC-32C of both. Badger does not
// verify values by default, and a flipped bit in a history event would otherwise be
// replayed as if it were true.
const (
	formatV1 = 1
	sealSize = 1 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	errShortValue   = errors.New("value shorter than its envelope")
	errChecksum     = errors.New("checksum mismatch")
	errFormat       = errors.New("unknown value format")
	errChunkOrder   = errors.New("history chunk out of sequence")
	errHistoryCount = errors.New("history length disagrees with the index row")
)

func seal(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// unseal checks v and returns its body, which aliases v.
func unseal(v []byte) ([]byte, error) {
	if len(v) < sealSize {
		return nil, errShortValue
	}
	n := len(v) - 4
	if crc32.Checksum(v[:n], castagnoli) != binary.LittleEndian.Uint32(v[n:]) {
		return nil, errChecksum
	}
	if v[0] != formatV1 {
		return nil, fmt.Errorf("%w %d", errFormat, v[0])
	}
	return v[1:n], nil
}

// sealRaw stores bytes that need no encoding, such as JSON payloads.
func sealRaw(raw []byte) []byte {
	b := make([]byte, 0, len(raw)+sealSize)
	b = append(b, formatV1)
	return seal(append(b, raw...))
}

func unsealRaw(v []byte) ([]byte, error) {
	body, err := unseal(v)
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

func encodeValue(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte(formatV1)
	enc := newEncoder(&buf)
	err := enc.Encode(v)
	msgpack.PutEncoder(enc)
	if err != nil {
		return nil, err
	}
	return seal(buf.Bytes()), nil
}

// encodeBody encodes v without an envelope, for values assembled by hand.
func encodeBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := newEncoder(&buf)
	err := enc.Encode(v)
	msgpack.PutEncoder(enc)
	return buf.Bytes(), err
}

// decodeValue fills out from v. Decoded byte slices and strings are fresh copies, so
// out never aliases v, which Badger reuses after the read.
func decodeValue(v []byte, out any) error {
	body, err := unseal(v)
	if err != nil {
		return err
	}
	return decodeBody(body, out)
}

func decodeBody(body []byte, out any) error {
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(bytes.NewReader(body))
	return dec.Decode(out)
}

// rowRecord is the msgpack body of a stored index row. The id lives in the key, the
// payloads in keys of their own (so that status queries and listings never read them),
// and the version and history length in the row value's trailer (see rows.go).
type rowRecord struct {
	Name         string                `msgpack:"n,omitempty"`
	ExecutionID  string                `msgpack:"x,omitempty"`
	Status       history.RuntimeStatus `msgpack:"s,omitempty"`
	CreatedAt    time.Time             `msgpack:"c"`
	UpdatedAt    time.Time             `msgpack:"u"`
	CustomStatus []byte                `msgpack:"cs,omitempty"`
	Failure      *history.Failure      `msgpack:"f,omitempty"`
	Parent       *history.ParentRef    `msgpack:"p,omitempty"`
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

// chunk is one stored history value and the number of events it holds.
type chunk struct {
	value []byte
	n     int
}

// encodeChunks encodes events once, then cuts the encoding into chunks at event
// boundaries. An event larger than maxChunkBytes gets a chunk of its own.
func encodeChunks(events []history.Event) ([]chunk, error) {
	if len(events) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := newEncoder(&buf)
	defer msgpack.PutEncoder(enc)
	ends := make([]int, len(events))
	for i := range events {
		if err := encodeEvent(enc, &events[i]); err != nil {
			return nil, err
		}
		ends[i] = buf.Len()
	}
	all := buf.Bytes()
	var chunks []chunk
	start, first := 0, 0
	for i, end := range ends {
		last := i == len(ends)-1
		if !last && ends[i+1]-start <= maxChunkBytes {
			continue
		}
		chunks = append(chunks, chunk{value: sealChunk(all[start:end], i+1-first), n: i + 1 - first})
		start, first = end, i+1
	}
	return chunks, nil
}

func sealChunk(events []byte, n int) []byte {
	b := make([]byte, 0, 1+5+len(events)+4)
	b = append(b, formatV1)
	b = appendArrayLen(b, n)
	return seal(append(b, events...))
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

// decodeChunk appends the events of one chunk to events.
func decodeChunk(v []byte, events []history.Event) ([]history.Event, error) {
	body, err := unseal(v)
	if err != nil {
		return events, err
	}
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(bytes.NewReader(body))
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return events, err
	}
	for range n {
		events = append(events, history.Event{})
		if err := decodeEvent(dec, &events[len(events)-1]); err != nil {
			return events, err
		}
	}
	return events, nil
}

var errMalformedKey = errors.New("malformed key")
