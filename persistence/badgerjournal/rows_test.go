package badgerjournal

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRowRoundTrip: the view sealed returns and the one parsed from its value agree
// with what was sealed, and every damaged bit is noticed.
func TestRowRoundTrip(t *testing.T) {
	entry := rowTimerEntry(timerKey("r", time.Unix(7, 0), 3))
	st := (&rowState{
		version: 1 << 40, historyLen: 300, flags: flagOutputExternal | flagRecover,
		body: emptyRowBody, input: []byte(`"in"`), output: []byte{1, 2, 3, 4}, history: bytes.Repeat([]byte{0x81}, 150),
		moreHistory: bytes.Repeat([]byte{0x81}, 50), timers: entry,
	}).sealed(rowKey("r"))
	parsed, err := parseRow(rowKey("r"), bytes.Clone(st.value))
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*rowState{st, parsed} {
		if got.version != 1<<40 || got.historyLen != 300 || got.flags != flagOutputExternal|flagRecover ||
			!bytes.Equal(got.body, emptyRowBody) || string(got.input) != `"in"` || string(got.output) != "\x01\x02\x03\x04" ||
			!bytes.Equal(got.history, bytes.Repeat([]byte{0x81}, 200)) || got.hasTimer(entry) != 0 || len(got.timers) != rowTimerSize {
			t.Fatalf("row did not survive sealing: %+v", got)
		}
	}
	for i := range st.value {
		damaged := bytes.Clone(st.value)
		damaged[i] ^= 0x04
		if _, err := parseRow(rowKey("r"), damaged); err == nil {
			t.Fatalf("flipping a bit of byte %d went unnoticed", i)
		}
	}
	if _, err := parseRow(rowKey("s"), st.value); err == nil {
		t.Fatal("the row of r parsed as the row of s")
	}
}

// TestRowParseRejectsGarbage: a value with a valid checksum but a malformed body, as a
// bug or another build might write, fails to parse rather than panicking or aliasing
// past its end.
func TestRowParseRejectsGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key := rowKey("g")
	valid := (&rowState{version: 3, historyLen: 1, body: emptyRowBody, history: []byte{0x80}}).sealed(key).value
	body := valid[:len(valid)-4]
	for n := range body {
		if _, err := parseRow(key, seal(key, bytes.Clone(body[:n]))); err == nil && n < len(body) {
			t.Fatalf("a row cut to %d of %d bytes parsed", n, len(body))
		}
	}
	for range 10000 {
		b := make([]byte, 1+rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		b[0] = rowFormat
		_, _ = parseRow(key, seal(key, b))
	}
	if _, err := parseRow(key, seal(key, append([]byte{rowFormat, 0x80}, body[2:]...))); err == nil {
		t.Fatal("unknown flags went unnoticed")
	}
	if _, err := parseRow(key, seal(key, append([]byte{formatV1}, body[1:]...))); err == nil {
		t.Fatal("a row of another format parsed")
	}
}
