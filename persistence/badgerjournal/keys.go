package badgerjournal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/godurable/durable/persistence"
)

// Key layout. Every key starts with a two-byte tag, so each kind of record is one
// contiguous range that a prefix scan reads without touching the others. Instance ids
// never contain control characters, so a 0x00 byte ends an id: it cannot occur inside
// one, and because it sorts before every byte an id may hold, the key of "a" sorts
// before the key of "ab" exactly as the ids do, and a scan of "a"'s records never
// strays into "ab"'s. Numbers are 8 bytes, big-endian, sign bit flipped, so that byte
// order is numeric order.
//
//	i/{id}                       index row, with what is small of the instance (rows.go)
//	p/{id}\0i, p/{id}\0o         input and output payloads too large for the row
//	h/{id}\0{firstSeq}           one chunk of history events, once the history outgrew the row
//	t/{fireAt}{id}\0{timerID}    armed timer, in due order for the timer scan
//	u/{id}\0{fireAt}{timerID}    the same timer, found by instance when it is deleted
//	                             (only for timers the instance's row does not list)
//	r/{id}                       recovery mark
//	o/{id}\0{msgID}              undelivered outbound message
//	c/{createdAt}{id}            an orchestration by creation time, for newest-first
//	                             listings (created.go); entities have none
//	m/format                     layout version of the whole database
const (
	rowTag        = "i/"
	payloadTag    = "p/"
	historyTag    = "h/"
	timerTag      = "t/"
	timerIndexTag = "u/"
	recoverTag    = "r/"
	outboxTag     = "o/"
	createdTag    = "c/"
)

var formatKey = []byte("m/format")

const idEnd = 0x00

func rowKey(id string) []byte     { return tagKey(rowTag, id) }
func recoverKey(id string) []byte { return tagKey(recoverTag, id) }

// tagKey is {tag}{id}, in one allocation: every append makes a row key.
func tagKey(tag, id string) []byte {
	k := make([]byte, 0, len(tag)+len(id))
	return append(append(k, tag...), id...)
}

// idPrefix is the common prefix of every key of tag that belongs to id.
func idPrefix(tag, id string) []byte {
	k := make([]byte, 0, len(tag)+len(id)+1+16)
	k = append(k, tag...)
	k = append(k, id...)
	return append(k, idEnd)
}

func inputKey(id string) []byte  { return append(idPrefix(payloadTag, id), 'i') }
func outputKey(id string) []byte { return append(idPrefix(payloadTag, id), 'o') }

func historyKey(id string, firstSeq int) []byte {
	return appendInt(idPrefix(historyTag, id), int64(firstSeq))
}

func outboxKey(id string, msgID int64) []byte { return appendInt(idPrefix(outboxTag, id), msgID) }

func timerKey(id string, fireAt time.Time, timerID int64) []byte {
	k := make([]byte, 0, len(timerTag)+8+len(id)+1+8)
	k = append(k, timerTag...)
	k = appendInt(k, nanos(fireAt))
	k = append(k, id...)
	k = append(k, idEnd)
	return appendInt(k, timerID)
}

// timerKeyFromIndex turns u/{id}\0{fireAt}{timerID} into t/{fireAt}{id}\0{timerID}.
func timerKeyFromIndex(idx []byte) ([]byte, error) {
	id, rest, ok := splitID(idx[len(timerIndexTag):])
	if !ok || len(rest) != 16 {
		return nil, fmt.Errorf("malformed timer index key %q", idx)
	}
	k := make([]byte, 0, len(idx))
	k = append(k, timerTag...)
	k = append(k, rest[:8]...)
	k = append(k, id...)
	k = append(k, idEnd)
	return append(k, rest[8:]...), nil
}

// parseTimerKey returns the instance and timer id of a t/ key.
func parseTimerKey(k []byte) (id string, timerID int64, ok bool) {
	body := k[len(timerTag):]
	if len(body) < 8+1+8 || body[len(body)-9] != idEnd {
		return "", 0, false
	}
	return string(body[8 : len(body)-9]), readInt(body[len(body)-8:]), true
}

// parseIDKey splits a key of the form {tag}{id}\0{number}.
func parseIDKey(k []byte, tag string) (id string, n int64, ok bool) {
	id, rest, ok := splitID(k[len(tag):])
	if !ok || len(rest) != 8 {
		return "", 0, false
	}
	return id, readInt(rest), true
}

func splitID(b []byte) (id string, rest []byte, ok bool) {
	i := bytes.IndexByte(b, idEnd)
	if i < 0 {
		return "", nil, false
	}
	return string(b[:i]), b[i+1:], true
}

func appendInt(b []byte, n int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(n)^(1<<63))
}

func readInt(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// nanos orders times in keys. Times outside what int64 nanoseconds can hold (the zero
// time among them) are clamped; the exact time is kept in the value. Listings order
// creation times the same way, which the c/ keys rely on.
func nanos(t time.Time) int64 { return persistence.UnixNanos(t) }

// describeKey renders a key for people: in errors and logs.
func describeKey(k []byte) string {
	if len(k) < 2 {
		return fmt.Sprintf("%q", k)
	}
	tag := string(k[:2])
	switch tag {
	case rowTag, recoverTag:
		return string(k)
	case historyTag, outboxTag:
		if id, n, ok := parseIDKey(k, tag); ok {
			return fmt.Sprintf("%s%s/%d", tag, id, n)
		}
	case payloadTag:
		// Only the two payload keys have names; anything else after the id is
		// quoted below like any unknown key, so that no corruption report names "".
		if id, rest, ok := splitID(k[2:]); ok && len(rest) == 1 {
			switch rest[0] {
			case 'i':
				return tag + id + "/input"
			case 'o':
				return tag + id + "/output"
			}
		}
	case timerTag:
		if id, tid, ok := parseTimerKey(k); ok {
			return fmt.Sprintf("%s%d/%s/%d", tag, readInt(k[2:10]), id, tid)
		}
	case createdTag:
		if created, id, ok := parseCreatedKey(k); ok {
			return fmt.Sprintf("%s%d/%s", tag, created, id)
		}
	}
	return fmt.Sprintf("%q", k)
}
