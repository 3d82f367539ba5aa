package ownership

import (
	"hash/fnv"
	"strconv"
)

// Desired returns the members that should be partition p's primary and standby, among
// the live members ids, by rendezvous hashing: every member computes the same answer
// from the same member list, and a member joining or leaving moves only the
// partitions it wins or held, about 1/len(ids) of them. standby is "" with one member.
func Desired(p int, ids []string) (primary, standby string) {
	var best, second uint64
	for _, id := range ids {
		s := score(p, id)
		switch {
		case primary == "" || s > best || s == best && id < primary:
			primary, standby, best, second = id, primary, s, best
		case standby == "" || s > second || s == second && id < standby:
			standby, second = id, s
		}
	}
	return primary, standby
}

func score(p int, id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(strconv.Itoa(p)))
	// FNV barely mixes its last bytes into the high bits, which decide the comparison:
	// finish with murmur3's mixer so each (member, partition) pair scores independently.
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
