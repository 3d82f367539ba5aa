package ownership

import (
	"testing"
)

func TestDesiredSpreadsAndMovesLittle(t *testing.T) {
	const partitions = 256
	three := []string{"m1", "m2", "m3"}
	count := map[string]int{}
	for p := range partitions {
		primary, standby := Desired(p, three)
		if primary == "" || standby == "" || primary == standby {
			t.Fatalf("partition %d: primary %q standby %q", p, primary, standby)
		}
		if p2, s2 := Desired(p, []string{"m3", "m1", "m2"}); p2 != primary || s2 != standby {
			t.Fatalf("partition %d depends on the order of the member list", p)
		}
		count[primary]++
	}
	for id, n := range count {
		if n < partitions/3*7/10 || n > partitions/3*13/10 {
			t.Errorf("%s is primary of %d of %d partitions", id, n, partitions)
		}
	}
	moved := 0
	four := append(three, "m4")
	for p := range partitions {
		before, _ := Desired(p, three)
		after, _ := Desired(p, four)
		if before != after {
			if after != "m4" {
				t.Fatalf("partition %d moved from %s to %s, not to the new member", p, before, after)
			}
			moved++
		}
	}
	if moved < partitions/4*6/10 || moved > partitions/4*14/10 {
		t.Errorf("a fourth member took %d of %d partitions", moved, partitions)
	}
	if p, s := Desired(0, []string{"only"}); p != "only" || s != "" {
		t.Fatalf("one member: %q %q", p, s)
	}
	if p, s := Desired(0, nil); p != "" || s != "" {
		t.Fatalf("no member: %q %q", p, s)
	}
}
