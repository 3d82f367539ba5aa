package badgerjournal

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/godurable/durable/history"
)

// fill sets every field reachable from v to a non-zero value, so that a field added
// to a struct later is covered without anyone remembering to add it here.
func fill(t *testing.T, v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(1_700_000_000+seed), int64(seed))))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), seed+i+1)
		}
	case reflect.Pointer:
		if v.Type() == reflect.TypeFor[*history.Failure]() && seed > 40 {
			return // stop the Inner chain
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), seed+10)
	case reflect.String:
		v.SetString("s" + string(rune('a'+seed%26)))
	case reflect.Slice:
		v.Set(reflect.ValueOf([]byte{byte(seed), 2, 3}).Convert(v.Type()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed) * 1000)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed))
	default:
		t.Fatalf("fill: no rule for %s", v.Type())
	}
}

// TestEventEncoding holds encodeEvent to the reflection encoder, byte for byte.
func TestEventEncoding(t *testing.T) {
	var full history.Event
	fill(t, reflect.ValueOf(&full).Elem(), 0)
	cases := []history.Event{
		full,
		{},
		{Type: history.EventOrchestratorStarted, Time: time.Unix(5, 6)},
		{Type: history.EventTaskScheduled, ID: 300, TaskID: -5, Name: "A", Input: []byte(`1`)},
	}
	// Every size class of every value kind, and times in each timestamp form.
	for _, n := range []int64{127, 128, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, -1, -32, -33, -128, -129,
		-32768, -32769, -1 << 31, -1<<31 - 1, math.MinInt64, math.MaxInt64} {
		cases = append(cases, history.Event{ID: n, TaskID: -n, Status: history.RuntimeStatus(uint8(n))})
	}
	for _, l := range []int{31, 32, 255, 256, 65535, 65536} {
		s := strings.Repeat("é", l/2) + strings.Repeat("x", l%2)
		cases = append(cases, history.Event{Name: s, InstanceID: s[:l/3], Input: []byte(s), Result: bytes.Repeat([]byte{1}, l)})
	}
	for _, tm := range []time.Time{time.Unix(0, 0), time.Unix(1<<32-1, 0), time.Unix(1<<32, 0), time.Unix(1<<34, 0),
		time.Unix(1<<34-1, 999999999), time.Unix(-1, 5), time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		cases = append(cases, history.Event{Time: tm, FireAt: tm})
	}
	for i, e := range cases {
		fast, err := appendEvent(nil, &e)
		if err != nil {
			t.Fatal(err)
		}
		var slow bytes.Buffer
		enc := newEncoder(&slow)
		if err := enc.Encode(&e); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fast, slow.Bytes()) {
			t.Errorf("case %d: appendEvent and reflection differ:\n%x\n%x", i, fast, slow.Bytes())
		}
	}
}

// encodeBody encodes v by reflection, as encodeEvent and encodeRow must.
func encodeBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := newEncoder(&buf)
	err := enc.Encode(v)
	msgpack.PutEncoder(enc)
	return buf.Bytes(), err
}

// TestRowEncoding holds encodeRow to the reflection encoder, byte for byte.
func TestRowEncoding(t *testing.T) {
	var full rowRecord
	fill(t, reflect.ValueOf(&full).Elem(), 0)
	for i, r := range []rowRecord{full, {}, {Name: "E", Status: 3, CreatedAt: time.Unix(5, 6)}} {
		fast, err := encodeRow(&r)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := encodeBody(&r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fast, slow) {
			t.Errorf("case %d: encodeRow and reflection differ:\n%x\n%x", i, fast, slow)
		}
	}
}

// TestEventDecoding holds decodeEvent to the reflection decoder, and checks that it
// skips keys it does not know.
func TestEventDecoding(t *testing.T) {
	var full history.Event
	fill(t, reflect.ValueOf(&full).Elem(), 0)
	for i, e := range []history.Event{full, {}, {Type: history.EventTimerFired, TaskID: 3}} {
		var buf bytes.Buffer
		if err := newEncoder(&buf).Encode(&e); err != nil {
			t.Fatal(err)
		}
		var fast, slow history.Event
		if err := decodeBody(buf.Bytes(), &slow); err != nil {
			t.Fatal(err)
		}
		dec := msgpack.NewDecoder(bytes.NewReader(buf.Bytes()))
		if err := decodeEvent(dec, &fast); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("case %d: decodeEvent and reflection differ:\n%+v\n%+v", i, fast, slow)
		}
	}

	var buf bytes.Buffer
	enc := newEncoder(&buf)
	_ = enc.Encode(map[string]any{"t": 3, "future": []int{1, 2}, "id": 7})
	var e history.Event
	if err := decodeEvent(msgpack.NewDecoder(&buf), &e); err != nil || e.Type != 3 || e.ID != 7 {
		t.Fatalf("with an unknown key: %+v, %v", e, err)
	}
}

func TestChunks(t *testing.T) {
	events := make([]history.Event, 50)
	for i := range events {
		events[i] = history.Event{ID: int64(i), Input: bytes.Repeat([]byte{'x'}, 20<<10)}
	}
	events[10].Input = bytes.Repeat([]byte{'y'}, maxChunkBytes*2) // larger than a chunk alone
	all, ends, err := encodeEvents(events)
	if err != nil {
		t.Fatal(err)
	}
	chunks := cutChunks(all, ends)
	var got []history.Event
	total := 0
	for i := range chunks {
		c := &chunks[i]
		if len(c.value) > maxChunkBytes+64 && c.n != 1 {
			t.Errorf("chunk of %d events has %d bytes", c.n, len(c.value))
		}
		n := len(got)
		key := historyKey("c", total)
		if _, err := decodeChunk(key, 0, c.value, nil); err == nil {
			t.Fatal("a chunk not yet bound to its key decoded")
		}
		if got, err = decodeChunk(key, 0, c.bind(key, 0), got); err != nil {
			t.Fatal(err)
		}
		if len(got)-n != c.n {
			t.Fatalf("chunk claims %d events, holds %d", c.n, len(got)-n)
		}
		total += c.n
	}
	if total != len(events) || len(chunks) < 5 {
		t.Fatalf("%d events in %d chunks", total, len(chunks))
	}
	for i := range events {
		if got[i].ID != int64(i) || !bytes.Equal(got[i].Input, events[i].Input) {
			t.Fatalf("event %d did not survive chunking", i)
		}
	}
}

func TestUnsealDetectsDamage(t *testing.T) {
	key := inputKey("a")
	v := sealRaw(key, []byte("payload"))
	for i := range v {
		for bit := range 8 {
			damaged := bytes.Clone(v)
			damaged[i] ^= 1 << bit
			if _, err := unseal(key, damaged); err == nil {
				t.Fatalf("flipping bit %d of byte %d went unnoticed", bit, i)
			}
		}
	}
	if _, err := unseal(key, v[:3]); err == nil {
		t.Fatal("a truncated value went unnoticed")
	}
	for _, other := range [][]byte{inputKey("b"), outputKey("a"), append(bytes.Clone(key), 0)} {
		if _, err := unseal(other, v); err == nil {
			t.Fatalf("the value of %q unsealed as the value of %q", key, other)
		}
	}
}

// A chunk bound to one key and then to another, as when a commit is retried, carries
// only the second key's share.
func TestChunkRebinds(t *testing.T) {
	c := sealChunk(1, []byte{0xc0}) // one msgpack nil
	first, second := historyKey("a", 0), historyKey("a", 5)
	c.bind(first, 0)
	if _, err := decodeChunk(second, 0, c.bind(second, 0), nil); err != nil {
		t.Fatalf("rebound chunk: %v", err)
	}
	if _, err := decodeChunk(first, 0, c.value, nil); err == nil {
		t.Fatal("a rebound chunk still reads under its first key")
	}
}

// TestDeepNestingIsRefused: a value that passed its checksum but nests deeper than
// anything the journal writes is refused before the decoder sees it. The decoder
// recurses once per level, and a few megabytes of nesting overflowed its goroutine
// stack, a fatal error that no recover catches. A failure chain as deep as
// sub-orchestrations nest in practice still decodes.
func TestDeepNestingIsRefused(t *testing.T) {
	failures := func(levels int) []byte {
		b := []byte{0x81, 0xa1, 'f'} // {"f": a failure
		for range levels {
			b = append(b, 0x81, 0xa2, 'i', 'n') // with an inner failure,
		}
		return append(b, 0xc0) // down to none}
	}
	if events, err := decodeEvents(failures(1000), 1); err != nil || events[0].Failure == nil {
		t.Fatalf("a failure chain of 1,000 levels: %v", err)
	}
	deep := failures(2_000_000)
	skipped := append(append([]byte{0x81, 0xa1, 'z'}, bytes.Repeat([]byte{0x91}, 8_000_000)...), 0xc0) // {"z": [[[...]]]}
	for name, err := range map[string]error{
		"event with nested failures":       func() error { _, err := decodeEvents(deep, 1); return err }(),
		"event with nested unknown arrays": func() error { _, err := decodeEvents(skipped, 1); return err }(),
		"row with nested failures":         decodeBody(deep, &rowRecord{}),
	} {
		if !errors.Is(err, errMalformedMsgpack) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
