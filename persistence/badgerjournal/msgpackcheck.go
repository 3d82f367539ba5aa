package badgerjournal

import (
	"errors"
	"fmt"
)

// errMalformedMsgpack: a stored body is not a sequence of whole msgpack values.
var errMalformedMsgpack = errors.New("malformed msgpack")

var errTruncated = errors.New("truncated")

// maxNesting bounds how deep a stored msgpack value may nest. The decoder recurses once
// per level, so a value that passed its checksum with a few million levels (four bytes
// each of failures within failures, one each of arrays under a key it skips) overflowed
// the goroutine stack, which kills the process instead of failing the read. What the
// journal writes nests a few levels, plus one per orchestration a failure came up
// through (Failure.Inner).
const maxNesting = 10_000

// checkMsgpack checks that b is a sequence of whole msgpack values, every length and
// count within what is left of b and nesting at most maxNesting deep, before the
// decoder reads it. The decoder trusts length prefixes: it allocates a byte slice's
// whole declared length before reading any of it, and megabytes towards a string's, so
// a few bytes of a value that passed its checksum but was written wrong (c6 ff ff ff ff,
// a bin32 of 4 GiB) made it allocate gigabytes.
func checkMsgpack(b []byte) error {
	// open holds, for each container being read, how many values it still holds; the
	// innermost comes last. Stored values nest a few levels, which the array holds
	// without allocating.
	var levels [8]uint64
	open := levels[:0]
	for pos := 0; pos < len(b) || len(open) > 0; {
		start := pos
		n, size, count, err := msgpackHeader(b[start:])
		if err != nil {
			return fmt.Errorf("%w at byte %d: %v", errMalformedMsgpack, start, err)
		}
		left := uint64(len(b) - start - n)
		// Every value takes a byte at least, so a count is bounded like a length.
		if size > left || count > left-size {
			return fmt.Errorf("%w at byte %d: %d bytes and %d values declared, %d bytes left",
				errMalformedMsgpack, start, size, count, left)
		}
		pos += n + int(size)
		if len(open) > 0 {
			open[len(open)-1]--
		}
		if count > 0 {
			if len(open) == maxNesting {
				return fmt.Errorf("%w at byte %d: nested more than %d deep", errMalformedMsgpack, start, maxNesting)
			}
			open = append(open, count)
		}
		for len(open) > 0 && open[len(open)-1] == 0 {
			open = open[:len(open)-1]
		}
	}
	return nil
}

// msgpackHeader reads the header of the value b starts with: n bytes of it, followed by
// size bytes of data, then by count values (the elements of an array, the keys and
// values of a map).
func msgpackHeader(b []byte) (n int, size, count uint64, err error) {
	if len(b) == 0 {
		return 0, 0, 0, errTruncated
	}
	c := b[0]
	switch {
	case c <= 0x7f || c >= 0xe0: // positive and negative fixint
		return 1, 0, 0, nil
	case c <= 0x8f: // fixmap
		return 1, 0, 2 * uint64(c&0x0f), nil
	case c <= 0x9f: // fixarray
		return 1, 0, uint64(c & 0x0f), nil
	case c <= 0xbf: // fixstr
		return 1, uint64(c & 0x1f), 0, nil
	}
	switch c {
	case 0xc0, 0xc2, 0xc3: // nil, false, true
		return 1, 0, 0, nil
	case 0xcc, 0xd0: // uint8, int8
		return 1, 1, 0, nil
	case 0xcd, 0xd1:
		return 1, 2, 0, nil
	case 0xca, 0xce, 0xd2: // float32, uint32, int32
		return 1, 4, 0, nil
	case 0xcb, 0xcf, 0xd3:
		return 1, 8, 0, nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext of 1 to 16 bytes, after a type byte
		return 1, 1 + 1<<(c-0xd4), 0, nil
	}
	// The rest have a big-endian length or count of w bytes after the code.
	var w int
	switch c {
	case 0xc4, 0xc7, 0xd9: // bin8, ext8, str8
		w = 1
	case 0xc5, 0xc8, 0xda, 0xdc, 0xde: // bin16, ext16, str16, array16, map16
		w = 2
	case 0xc6, 0xc9, 0xdb, 0xdd, 0xdf:
		w = 4
	default:
		return 0, 0, 0, fmt.Errorf("unknown code %#x", c)
	}
	if len(b) < 1+w {
		return 0, 0, 0, errTruncated
	}
	var l uint64
	for _, x := range b[1 : 1+w] {
		l = l<<8 | uint64(x)
	}
	switch c {
	case 0xc7, 0xc8, 0xc9: // ext: a type byte, then the data
		return 1 + w, l + 1, 0, nil
	case 0xdc, 0xdd:
		return 1 + w, 0, l, nil
	case 0xde, 0xdf:
		return 1 + w, 0, 2 * l, nil
	}
	return 1 + w, l, 0, nil
}
