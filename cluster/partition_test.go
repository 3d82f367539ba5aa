package cluster

import (
	"fmt"
	"testing"
)

// The partition of an identity is part of the stored format: these values must never
// change, or members of different versions would disagree on who owns what.
func TestPartitionOfIsPinned(t *testing.T) {
	golden := []struct {
		id         string
		partitions int
		want       int
	}{
		{"order-1", 32, 13},
		{"order-2", 32, 20},
		{"@counter@c1", 32, 3},
		{"@account@alice", 32, 22},
		{"0123456789abcdef0123456789abcdef", 32, 21},
		{"заказ-1", 32, 21},
		{"order-1", 7, 5},
		{"order-1", 1, 0},
		{"", 32, 5},
	}
	for _, g := range golden {
		if got := PartitionOf(g.id, g.partitions); got != g.want {
			t.Errorf("PartitionOf(%q, %d) = %d, pinned %d", g.id, g.partitions, got, g.want)
		}
	}
}

// Identities spread evenly enough that no partition carries far more than its share.
func TestPartitionsSpread(t *testing.T) {
	const n, partitions = 100_000, 32
	counts := make([]int, partitions)
	for i := range n {
		counts[PartitionOf(fmt.Sprintf("instance-%d", i), partitions)]++
	}
	for p, c := range counts {
		if share := float64(c) * partitions / n; share < 0.9 || share > 1.1 {
			t.Errorf("partition %d holds %d identities, %.2f of its share", p, c, share)
		}
	}
}
