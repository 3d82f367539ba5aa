package wire

import (
	"github.com/godurable/durable/persistence/badgerjournal"
)

// Messages between a partition's primary and its standby. Every one names the
// partition, the epoch the primary holds it at and the primary, so that the standby
// refuses what a primary that has been replaced still sends.

// Replicate carries one append to the standby; it answers with ReplicateAck to the
// sender, in the order the appends arrived.
type Replicate struct {
	Partition int    `msgpack:"p"`
	Epoch     uint64 `msgpack:"e"`
	From      string `msgpack:"f"`
	// Session names the copy the standby was made by; appends of an earlier copy
	// (still on their way when the standby was copied again) are refused.
	Session uint64 `msgpack:"ss"`
	Seq     uint64 `msgpack:"s"`
	// Op is the append as the primary's journal prepared it
	// (badgerjournal.Prepared.MarshalBinary).
	Op []byte `msgpack:"o"`
}

// ReplicateAck answers Replicate once the append is durable at the standby, or
// refused. Stale: refused because the sender no longer owns the partition.
type ReplicateAck struct {
	Seq   uint64 `msgpack:"s"`
	Err   string `msgpack:"err,omitempty"`
	Stale bool   `msgpack:"st,omitempty"`
}

// ReplicateBatch carries the appends a primary sent one standby since its last
// batch, in the order they were submitted; the standby answers with ReplicateAcks.
type ReplicateBatch struct {
	Items []*Replicate `msgpack:"i"`
}

// ReplicateAcks answers a ReplicateBatch once each of its appends is durable at the
// standby or refused.
type ReplicateAcks struct {
	Acks []ReplicateAck `msgpack:"a"`
}

// CopyBegin starts a copy of a partition: the standby drops what it holds of it, and
// from then on takes appends of this session only.
type CopyBegin struct {
	Partition int    `msgpack:"p"`
	Epoch     uint64 `msgpack:"e"`
	From      string `msgpack:"f"`
	Session   uint64 `msgpack:"ss"`
}

// CopyInstances installs instances of a partition at the standby as they are stored
// at the primary.
type CopyInstances struct {
	Partition int                      `msgpack:"p"`
	Epoch     uint64                   `msgpack:"e"`
	From      string                   `msgpack:"f"`
	Session   uint64                   `msgpack:"ss"`
	Instances []badgerjournal.Snapshot `msgpack:"i"`
}

// Handoff asks the standby to take the partition over: its primary holds the
// partition's appends, and the standby applied every one before. Answered by
// CopyReply once the ownership record names the standby primary.
type Handoff struct {
	Partition int    `msgpack:"p"`
	Epoch     uint64 `msgpack:"e"`
	From      string `msgpack:"f"`
}

// CopyReply answers CopyBegin and CopyInstances once what they asked is durable.
type CopyReply struct {
	Err   string `msgpack:"err,omitempty"`
	Stale bool   `msgpack:"st,omitempty"`
	// Leaving: the member asked is stopping and takes nothing.
	Leaving bool `msgpack:"lv,omitempty"`
}

func init() {
	registerMessage[Replicate]("replicate")
	registerMessage[ReplicateAck]("replicateAck")
	registerMessage[CopyBegin]("copyBegin")
	registerMessage[CopyInstances]("copyInstances")
	registerMessage[CopyReply]("copyReply")
	registerMessage[Handoff]("handoff")
	registerMessage[ReplicateBatch]("replicateBatch")
	registerMessage[ReplicateAcks]("replicateAcks")
}
