package badgerjournal

import (
	"encoding/binary"
	"math"
	"time"
)

// Appenders for the msgpack values events and rows are made of, written exactly as
// msgpack v5's Encoder writes them with compact integers (see newEncoder), straight
// into a byte slice: going through the Encoder's io.Writer calls one byte at a time
// was most of what encoding an event cost.

func appendMapLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(n))
}

func appendStr(b []byte, s string) []byte {
	if len(s) < 32 {
		b = append(b, 0xa0|byte(len(s)))
	} else {
		b = appendLen(b, len(s), 0xd9, 0xda, 0xdb)
	}
	return append(b, s...)
}

func appendBin(b []byte, v []byte) []byte {
	return append(appendLen(b, len(v), 0xc4, 0xc5, 0xc6), v...)
}

// appendLen writes the header of a value of length l in the shortest of the forms
// whose codes are c8, c16 and c32 (8-, 16- and 32-bit lengths).
func appendLen(b []byte, l int, c8, c16, c32 byte) []byte {
	switch {
	case l < 256:
		return append(b, c8, byte(l))
	case l <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, c16), uint16(l))
	}
	return binary.BigEndian.AppendUint32(append(b, c32), uint32(l))
}

func appendUint(b []byte, n uint64) []byte {
	switch {
	case n <= math.MaxInt8:
		return append(b, byte(n))
	case n <= math.MaxUint8:
		return append(b, 0xcc, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), n)
}

func appendMsgInt(b []byte, n int64) []byte {
	switch {
	case n >= 0:
		return appendUint(b, uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= math.MinInt8:
		return append(b, 0xd0, byte(n))
	case n >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// appendTime writes the msgpack timestamp extension (type -1) in its shortest form.
func appendTime(b []byte, t time.Time) []byte {
	secs := uint64(t.Unix())
	if secs>>34 == 0 {
		data := uint64(t.Nanosecond())<<34 | secs
		if data&0xffffffff00000000 == 0 {
			return binary.BigEndian.AppendUint32(append(b, 0xd6, 0xff), uint32(data))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xd7, 0xff), data)
	}
	b = binary.BigEndian.AppendUint32(append(b, 0xc7, 12, 0xff), uint32(t.Nanosecond()))
	return binary.BigEndian.AppendUint64(b, secs)
}
