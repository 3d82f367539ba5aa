package badgerjournal

import (
	"bytes"
	"cmp"
	"strings"
	"testing"
	"time"
	"unicode"
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
