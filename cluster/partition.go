package cluster

import "hash/fnv"

// DefaultPartitions is the partition count of a cluster created without one: enough to
// spread over a few dozen members, few enough that an ownership change stays cheap.
const DefaultPartitions = 32

// PartitionOf returns the partition of an instance or entity identity in a cluster of
// partitions partitions. The hash is part of the stored format: every member of a
// cluster, of any version, must place an identity in the same partition, so it never
// changes (a test pins its values).
func PartitionOf(identity string, partitions int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(identity))
	return int(h.Sum64() % uint64(partitions))
}
