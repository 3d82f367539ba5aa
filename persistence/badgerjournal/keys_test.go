package badgerjournal

import (
	"bytes"
	"math"
	"slices"
	"testing"
	"time"
)

// TestKeyOrder checks the two properties the scans rely on: keys sort as their ids and
// numbers do, and the keys of one id never fall under another id's prefix.
func TestKeyOrder(t *testing.T) {
	ids := []string{"a", "a b", "a-b", "ab", "b", "é"}
	for _, tag := range []string{historyTag, outboxTag, timerIndexTag} {
		var keys [][]byte
		for _, id := range ids {
			keys = append(keys, idPrefix(tag, id))
		}
		if !slices.IsSortedFunc(keys, bytes.Compare) {
			t.Errorf("%s keys do not sort as ids", tag)
		}
		for i, k := range keys {
			for j, other := range keys {
				if i != j && bytes.HasPrefix(other, k) {
					t.Errorf("%q's prefix covers %q", ids[i], ids[j])
				}
			}
		}
	}
	nums := []int64{math.MinInt64, -300, -1, 0, 1, 255, 256, math.MaxInt64}
	var keys [][]byte
	for _, n := range nums {
		keys = append(keys, outboxKey("x", n))
	}
	if !slices.IsSortedFunc(keys, bytes.Compare) {
		t.Error("numbers in keys do not sort numerically")
	}
	for i, k := range keys {
		if id, n, ok := parseIDKey(k, outboxTag); !ok || id != "x" || n != nums[i] {
			t.Errorf("parseIDKey(%q) = %q, %d, %v", k, id, n, ok)
		}
	}
}

func TestTimerKeys(t *testing.T) {
	fire := time.Unix(1_700_000_000, 5)
	k := timerKey("inst", fire, 42)
	idx := indexKeyOf(k)
	back, err := timerKeyFromIndex(idx)
	if err != nil || !bytes.Equal(back, k) {
		t.Fatalf("timer key does not survive its index: %q -> %q -> %q (%v)", k, idx, back, err)
	}
	if id, n, ok := parseTimerKey(k); !ok || id != "inst" || n != 42 {
		t.Fatalf("parseTimerKey = %q, %d, %v", id, n, ok)
	}
	early, late := timerKey("z", fire.Add(-time.Nanosecond), 1), timerKey("a", fire, 1)
	if bytes.Compare(early, late) >= 0 {
		t.Fatal("timer keys do not sort by due time first")
	}
	if nanos(time.Time{}) != math.MinInt64 || nanos(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)) != math.MaxInt64 {
		t.Fatal("times beyond int64 nanoseconds are not clamped")
	}
}

func TestDescribeKey(t *testing.T) {
	for key, want := range map[string]string{
		string(rowKey("o-1")):                       "i/o-1",
		string(historyKey("o-1", 12)):               "h/o-1/12",
		string(inputKey("o-1")):                     "p/o-1/input",
		string(outputKey("o-1")):                    "p/o-1/output",
		string(outboxKey("o-1", -3)):                "o/o-1/-3",
		string(timerKey("o-1", time.Unix(0, 9), 4)): "t/9/o-1/4",
		string(recoverKey("o-1")):                   "r/o-1",
	} {
		if got := describeKey([]byte(key)); got != want {
			t.Errorf("describeKey(%q) = %q, want %q", key, got, want)
		}
	}
}
