// Package ownership keeps, in etcd, who owns each partition of a cluster.
//
// Per partition one record {primary, standby, epoch}, changed only by compare-and-swap
// on the record's revision, so two members can never both believe they won the same
// change. The epoch grows whenever the primary changes; journals reject writes of an
// older epoch, which is what stops a member that lost its partition without knowing
// it (paused, cut off) from committing.
//
// Every member holds an ownership lease of its own, separate from the membership
// lease of protoactor's etcd provider, which grants a fresh lease when one expires
// and so would let a paused member silently rejoin. The Lease here never comes back:
// once lost, the member must stop serving and join again.
package ownership
