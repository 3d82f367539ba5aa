package badgerjournal

import (
	"bytes"
	"cmp"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// keyableID reports whether id is one the key layout is defined for: ids are
// non-empty and hold no control characters (the \0 that ends an id among them).
func keyableID(id string) bool { return id != "" && !strings.ContainsFunc(id, unicode.IsControl) }

// FuzzKeyOrder checks the key codec on pairs of ids, numbers and due times: every key
// decodes back to what built it, keys compare exactly as (id, number) and (due time,
// id, timer id) do, and one id's prefix never covers another id's keys, which is what
// the prefix scans, the continuation token and the timer scan's early stop rely on.
func FuzzKeyOrder(f *testing.F) {
	for _, s := range []struct {
		a, b               string
		na, nb             int64
		secA, secB         int64
		nsecA, nsecB       int32
		timerIDA, timerIDB int64
	}{
		{"a", "ab", 0, 1, 1_700_000_000, 1_700_000_000, 0, 1, 1, 1},
		{"a b", "a-b", -1, 1, 0, -1, 999_999_999, 0, -5, 5},
		{"é", "z", 255, 256, -62135596800, 1 << 40, 0, 0, 0, 0}, // the zero time and a far one
		{"order-1", "order-1", -9223372036854775808, 9223372036854775807, 1, 1, 5, 5, 2, 1},
		{"@counter@k", "@counter@k2", 7, 7, 9223372036, 9223372037, 854775807, 0, 0, 0},
	} {
		f.Add(s.a, s.b, s.na, s.nb, s.secA, s.secB, s.nsecA, s.nsecB, s.timerIDA, s.timerIDB)
	}
	f.Fuzz(func(t *testing.T, a, b string, na, nb, secA, secB int64, nsecA, nsecB int32, timerIDA, timerIDB int64) {
		if !keyableID(a) || !keyableID(b) {
			return
		}
		atA, atB := time.Unix(secA, int64(nsecA)), time.Unix(secB, int64(nsecB))

		for _, c := range []struct {
			id string
			n  int64
		}{{a, na}, {b, nb}} {
			for tag, key := range map[string]func(string, int64) []byte{
				historyTag: func(id string, n int64) []byte { return historyKey(id, int(n)) },
				outboxTag:  outboxKey,
			} {
				k := key(c.id, c.n)
				if id, n, ok := parseIDKey(k, tag); !ok || id != c.id || n != c.n {
					t.Fatalf("%q: parseIDKey = %q, %d, %v; want %q, %d", k, id, n, ok, c.id, c.n)
				}
			}
		}
		for _, c := range []struct {
			id      string
			at      time.Time
			timerID int64
		}{{a, atA, timerIDA}, {b, atB, timerIDB}} {
			k := timerKey(c.id, c.at, c.timerID)
			if id, tid, ok := parseTimerKey(k); !ok || id != c.id || tid != c.timerID {
				t.Fatalf("%q: parseTimerKey = %q, %d, %v", k, id, tid, ok)
			}
			if back, err := timerKeyFromIndex(indexKeyOf(k)); err != nil || !bytes.Equal(back, k) {
				t.Fatalf("%q does not survive its index key: %q, %v", k, back, err)
			}
			if back := timerKeyFromEntry(c.id, rowTimerEntry(k)); !bytes.Equal(back, k) {
				t.Fatalf("%q does not survive its row entry: %q", k, back)
			}
		}

		idOrder := strings.Compare(a, b)
		sameSign := func(what string, got, want int) {
			t.Helper()
			if cmp.Compare(got, 0) != cmp.Compare(want, 0) {
				t.Fatalf("%s: keys compare %d, ids and numbers %d (%q %d, %q %d)", what, got, want, a, na, b, nb)
			}
		}
		sameSign("row keys", bytes.Compare(rowKey(a), rowKey(b)), idOrder)
		sameSign("recovery marks", bytes.Compare(recoverKey(a), recoverKey(b)), idOrder)
		sameSign("input keys", bytes.Compare(inputKey(a), inputKey(b)), idOrder)
		byIDThenNumber := cmp.Or(idOrder, cmp.Compare(na, nb))
		sameSign("history keys", bytes.Compare(historyKey(a, int(na)), historyKey(b, int(nb))), byIDThenNumber)
		sameSign("outbox keys", bytes.Compare(outboxKey(a, na), outboxKey(b, nb)), byIDThenNumber)

		// The timer scan stops at the first key due after its bound, so keys must sort
		// by due time first. Times beyond int64 nanoseconds are clamped: they may tie, but
		// never invert.
		ka, kb := timerKey(a, atA, timerIDA), timerKey(b, atB, timerIDB)
		byTime := bytes.Compare(ka[:len(timerTag)+8], kb[:len(timerTag)+8])
		if byTime != 0 && byTime != atA.Compare(atB) {
			t.Fatalf("due times %v and %v compare %d in keys", atA, atB, byTime)
		}
		if byTime == 0 {
			sameSign("timer keys of one due time", bytes.Compare(ka, kb), cmp.Or(idOrder, cmp.Compare(timerIDA, timerIDB)))
		}
		sameSign("timer index keys", bytes.Compare(indexKeyOf(ka), indexKeyOf(kb)), cmp.Or(idOrder, byTime, cmp.Compare(timerIDA, timerIDB)))

		// Prefix scans of one id must not stray into another's keys.
		for _, tag := range []string{historyTag, outboxTag, timerIndexTag, payloadTag} {
			prefix := idPrefix(tag, a)
			others := map[string][]byte{
				historyTag: historyKey(b, int(nb)), outboxTag: outboxKey(b, nb),
				timerIndexTag: indexKeyOf(kb), payloadTag: outputKey(b),
			}
			if covered := bytes.HasPrefix(others[tag], prefix); covered != (a == b) {
				t.Fatalf("%s prefix of %q covers %q: %v", tag, a, others[tag], covered)
			}
		}
		// A listing resumes after the row of its continuation token: exactly the ids
		// that sort after it.
		after := append(rowKey(a), idEnd)
		if resumed := bytes.Compare(rowKey(b), after) >= 0; resumed != (b > a) {
			t.Fatalf("listing resumed after %q includes %q: %v", a, b, resumed)
		}
	})
}

// FuzzParseKey feeds arbitrary keys, as a damaged database may hold them, to every
// function that takes a key apart. None may panic; a key one of them accepts must be
// the key its parts build again, and describeKey must name every key somehow.
func FuzzParseKey(f *testing.F) {
	at := time.Unix(1_700_000_000, 5)
	for _, k := range [][]byte{
		historyKey("o-1", 12), outboxKey("o-1", -3), timerKey("o-1", at, 4), indexKeyOf(timerKey("o-1", at, 4)),
		inputKey("o-1"), outputKey("o-1"), rowKey("o-1"), recoverKey("o-1"), formatKey,
		[]byte("h/\x00"), []byte("t/12345678\x0012345678"), []byte("p/x\x00"), []byte("u/"), []byte("t"), nil,
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k []byte) {
		if describeKey(k) == "" && len(k) > 0 {
			t.Fatalf("describeKey(%q) is empty", k)
		}
		for _, tag := range []string{rowTag, payloadTag, historyTag, timerTag, timerIndexTag, recoverTag, outboxTag} {
			key := append([]byte(tag), k...)
			if describeKey(key) == "" {
				t.Fatalf("describeKey(%q) is empty", key)
			}
			if id, n, ok := parseIDKey(key, tag); ok {
				if back := appendInt(idPrefix(tag, id), n); !bytes.Equal(back, key) {
					t.Fatalf("parseIDKey(%q) = %q, %d, which build %q", key, id, n, back)
				}
			}
		}
		tk := append([]byte(timerTag), k...)
		if id, tid, ok := parseTimerKey(tk); ok {
			if back := timerKey(id, time.Unix(0, readInt(tk[len(timerTag):])), tid); !bytes.Equal(back, tk) {
				t.Fatalf("parseTimerKey(%q) = %q, %d, which build %q", tk, id, tid, back)
			}
		}
		idx := append([]byte(timerIndexTag), k...)
		if back, err := timerKeyFromIndex(idx); err == nil {
			if _, _, ok := parseTimerKey(back); !ok || !bytes.Equal(indexKeyOf(back), idx) {
				t.Fatalf("timerKeyFromIndex(%q) = %q, which is no timer key of that index", idx, back)
			}
		}
	})
}

// allocated returns the bytes fn allocated on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// checkAllocated fails t when decoding size stored bytes allocated more than a
// constant factor of them: a decoded event is larger than its encoding (a one-byte
// empty map becomes a whole Event), but a length or count read from the bytes must
// never size an allocation by itself.
func checkAllocated(t *testing.T, size int, fn func()) {
	t.Helper()
	const perByte, slack = 1 << 10, 64 << 10
	if got, limit := allocated(fn), uint64(slack+perByte*size); got > limit {
		t.Fatalf("decoding %d bytes allocated %d bytes, more than %d", size, got, limit)
	}
}

// sampleEvents are seed histories: every field set somewhere, failures nested.
func sampleEvents() [][]history.Event {
	at := time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC)
	inner := &history.Failure{ErrorType: "*errors.errorString", Message: "boom", NonRetriable: true}
	return [][]history.Event{
		{
			{Type: history.EventOrchestratorStarted, Time: at},
			{Type: history.EventExecutionStarted, Time: at, Name: "Hello", InstanceID: "o-1", ExecutionID: "x1", Input: []byte(`"world"`),
				Parent: &history.ParentRef{InstanceID: "p", ExecutionID: "px", TaskID: 3, Name: "Parent"}, Version: "2",
				Trace: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
			{Type: history.EventTaskScheduled, Time: at, ID: 0, Name: "SayHello", Input: []byte(`"a"`)},
			{Type: history.EventTimerCreated, Time: at, ID: 1, FireAt: at.Add(time.Hour)},
		},
		{
			{Type: history.EventTaskFailed, TaskID: 300, Failure: &history.Failure{Message: "outer", Stack: "s", Inner: inner}},
			{Type: history.EventExecutionCompleted, Status: history.StatusFailed, Result: bytes.Repeat([]byte{'r'}, 300)},
			{Type: history.EventTimerFired, TaskID: -1, FireAt: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
		{{}},
	}
}

// sameEvents compares decoded events as values: an empty payload and a missing one
// are the same, and so are equal times in different locations.
func sameEvents(a, b []history.Event) bool {
	return slices.EqualFunc(a, b, func(x, y history.Event) bool {
		return x.Type == y.Type && x.Time.Equal(y.Time) && x.ID == y.ID && x.TaskID == y.TaskID &&
			x.Name == y.Name && x.InstanceID == y.InstanceID && x.ExecutionID == y.ExecutionID &&
			bytes.Equal(x.Input, y.Input) && bytes.Equal(x.Result, y.Result) && reflect.DeepEqual(x.Failure, y.Failure) &&
			x.FireAt.Equal(y.FireAt) && x.Status == y.Status && reflect.DeepEqual(x.Parent, y.Parent)
	})
}

// FuzzDecodeHistory decodes arbitrary bytes as a row's inline history of n events
// and as the body of a history chunk, as a value that passed its checksum but was
// written by a buggy or foreign build would be. Decoding must fail or succeed without
// panicking or allocating beyond a constant factor of the input; events it accepts
// must be exactly n (inline) and must survive being encoded and decoded again.
func FuzzDecodeHistory(f *testing.F) {
	for _, evs := range sampleEvents() {
		b, _, err := encodeEvents(evs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint32(len(evs)))
		f.Add(b[:len(b)/2], uint32(len(evs)))
		chunk := sealChunk(len(evs), b).value
		f.Add(chunk[1:len(chunk)-4], uint32(0)) // a chunk body: array header, then the events
	}
	f.Add([]byte{0x80, 0x80, 0x80}, uint32(1<<31))
	key := historyKey("fuzz", 0)
	f.Fuzz(func(t *testing.T, data []byte, n uint32) {
		chunk := seal(key, append([]byte{formatV1}, data...))
		var inline, chunked []history.Event
		var inlineErr, chunkErr error
		checkAllocated(t, len(data), func() {
			inline, inlineErr = decodeEvents(data, int(n))
			chunked, chunkErr = decodeChunk(key, 0, chunk, nil)
			_, _ = decodeChunk(key, n, data, nil) // unsealed: refused by checksum or format, mostly
		})
		if inlineErr == nil {
			if len(inline) != int(n) {
				t.Fatalf("inline history of %d events decoded as %d", n, len(inline))
			}
			b, _, err := encodeEvents(inline)
			if err != nil {
				t.Fatalf("decoded events do not encode: %v", err)
			}
			again, err := decodeEvents(b, len(inline))
			if err != nil || !sameEvents(again, inline) {
				t.Fatalf("inline history does not survive encoding again: %v\n%+v\n%+v", err, inline, again)
			}
		}
		if chunkErr == nil {
			b, _, err := encodeEvents(chunked)
			if err != nil {
				t.Fatalf("decoded events do not encode: %v", err)
			}
			c := sealChunk(len(chunked), b)
			again, err := decodeChunk(key, 0, c.bind(key, 0), nil)
			if err != nil || !sameEvents(again, chunked) {
				t.Fatalf("chunk does not survive encoding again: %v\n%+v\n%+v", err, chunked, again)
			}
		}
	})
}

// FuzzDecodeRow parses arbitrary bytes as a row value (sealed, so that the checksum
// passes and the parser proper is reached, and as they are), then decodes its body and
// inline history. Nothing may panic or allocate beyond a constant factor of the input;
// a parse fails with one of the row errors, a body that does not decode is a
// CorruptionError, and a row that parses seals again into the same row.
func FuzzDecodeRow(f *testing.F) {
	for _, evs := range sampleEvents() {
		hist, _, err := encodeEvents(evs)
		if err != nil {
			f.Fatal(err)
		}
		body, err := encodeRow(&rowRecord{
			Name: "Hello", ExecutionID: "x1", Status: history.StatusRunning, CreatedAt: time.Unix(1_700_000_000, 1),
			UpdatedAt: time.Unix(1_700_000_001, 0), CustomStatus: []byte(`"half"`), Failure: evs[0].Failure, Parent: evs[0].Parent,
			Version: "2",
		})
		if err != nil {
			f.Fatal(err)
		}
		row := (&rowState{
			version: uint64(len(evs)), historyLen: len(evs), flags: flagRecover | flagOutputExternal, body: body,
			input: []byte(`{"a":1}`), history: hist, timers: rowTimerEntry(timerKey("o-1", time.Unix(7, 0), 3)),
		}).sealed(rowKey("fuzz"))
		f.Add(row.value[:len(row.value)-4])
	}
	spilled := (&rowState{version: 9, historyLen: 1000, flags: flagHistorySpilled | flagInputExternal, body: emptyRowBody}).sealed(rowKey("fuzz"))
	f.Add(spilled.value[:len(spilled.value)-4])
	f.Add([]byte{rowFormat})
	key := rowKey("fuzz")
	f.Fuzz(func(t *testing.T, data []byte) {
		value := seal(key, bytes.Clone(data))
		var st *rowState
		var parseErr, instErr, histErr error
		var inst *persistence.Instance
		var events []history.Event
		checkAllocated(t, len(data), func() {
			_, _ = parseRow(key, data)
			if st, parseErr = parseRow(key, value); parseErr != nil {
				return
			}
			inst, instErr = st.instance("fuzz")
			if st.flags&flagHistorySpilled == 0 {
				events, histErr = decodeEvents(st.history, st.historyLen)
			}
		})
		if parseErr != nil {
			if !errors.Is(parseErr, errMalformedRow) && !errors.Is(parseErr, errFormat) && !errors.Is(parseErr, errShortValue) {
				t.Fatalf("parseRow failed with an untyped error: %v", parseErr)
			}
			return
		}
		again, err := parseRow(key, st.sealed(key).value)
		if err != nil {
			t.Fatalf("a parsed row does not parse once sealed again: %v", err)
		}
		if again.version != st.version || again.historyLen != st.historyLen || again.flags != st.flags ||
			!bytes.Equal(again.body, st.body) || !bytes.Equal(again.input, st.input) || !bytes.Equal(again.output, st.output) ||
			!bytes.Equal(again.history, st.history) || !bytes.Equal(again.timers, st.timers) {
			t.Fatalf("row changed when sealed again:\n%+v\n%+v", st, again)
		}
		if instErr != nil {
			var c *persistence.CorruptionError
			if !errors.As(instErr, &c) {
				t.Fatalf("row body failed with an untyped error: %v", instErr)
			}
		}
		if instErr == nil && (inst.ID != "fuzz" || inst.Version != st.version || inst.HistoryLen != st.historyLen) {
			t.Fatalf("instance %+v does not match its row %+v", inst, st)
		}
		if histErr == nil && st.flags&flagHistorySpilled == 0 && len(events) != st.historyLen {
			t.Fatalf("row of %d events holds %d", st.historyLen, len(events))
		}
	})
}

// FuzzDecodeValue decodes arbitrary bytes as the values of timers, outbound messages
// and external payloads. Nothing may panic or allocate beyond a constant factor of the
// input; a payload comes back as stored, and a record that decodes survives being
// encoded and decoded again.
func FuzzDecodeValue(f *testing.F) {
	for _, v := range []any{
		&timerRecord{ExecutionID: "x1", FireAt: time.Unix(1_700_000_000, 5), Payload: []byte(`{"signal":1}`)},
		&timerRecord{FireAt: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
		&messageRecord{To: "o-2", Payload: []byte(`"hi"`)},
	} {
		value, err := encodeValue(nil, v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(value[1 : len(value)-4])
	}
	f.Add([]byte(`{"a":1}`))
	key := outboxKey("fuzz", 1)
	f.Fuzz(func(t *testing.T, data []byte) {
		value := seal(key, append([]byte{formatV1}, data...))
		var timer timerRecord
		var msg messageRecord
		var payload []byte
		var timerErr, msgErr, payloadErr error
		checkAllocated(t, len(data), func() {
			timerErr = decodeValue(key, value, &timer)
			msgErr = decodeValue(key, value, &msg)
			payload, payloadErr = unsealRaw(key, value)
			_ = decodeValue(key, data, &timerRecord{})
			_, _ = unsealRaw(key, data)
		})
		if payloadErr != nil || !bytes.Equal(payload, data) {
			t.Fatalf("payload %q came back as %q, %v", data, payload, payloadErr)
		}
		if timerErr == nil {
			var again timerRecord
			if err := roundTrip(&timer, &again); err != nil || again.ExecutionID != timer.ExecutionID ||
				!again.FireAt.Equal(timer.FireAt) || !bytes.Equal(again.Payload, timer.Payload) {
				t.Fatalf("timer %+v came back as %+v, %v", timer, again, err)
			}
		}
		if msgErr == nil {
			var again messageRecord
			if err := roundTrip(&msg, &again); err != nil || again.To != msg.To || !bytes.Equal(again.Payload, msg.Payload) {
				t.Fatalf("message %+v came back as %+v, %v", msg, again, err)
			}
		}
	})
}

func roundTrip(v, out any) error {
	key := outboxKey("fuzz", 1)
	value, err := encodeValue(key, v)
	if err != nil {
		return err
	}
	return decodeValue(key, value, out)
}
