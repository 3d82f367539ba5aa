// Package cluster makes a process a member of a protoactor-go cluster and decides where
// each virtual actor (orchestration instance or entity) lives.
//
// Single-node embedded mode is a cluster of one member in the same process, so the code
// path is the one a multi-member cluster uses: every message to an instance goes through
// its cluster identity and may cross processes. Placement keeps an index of local
// activations with O(1) lookup and removal; protoactor's own disthash placement scans
// every activation whenever one stops, which turns mass passivation quadratic.
package cluster
