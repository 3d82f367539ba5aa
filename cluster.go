package durable

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/godurable/durable/actors"
	"github.com/godurable/durable/cluster"
)

// ClusterConfig makes the runtime one member of a cluster: the same program started
// as several members shares the instances, and any member answers for any instance.
// Membership and partition ownership live in etcd.
type ClusterConfig struct {
	// Name names the cluster; members started with the same Name and etcd form one.
	Name string
	// Etcd lists the etcd endpoints, host:port.
	Etcd []string
	// Peer is the host:port this member listens on for the other members, and where
	// they reach it.
	Peer string
	// Partitions is the partition count of a cluster this member creates (default 32).
	// It is fixed when the cluster is created; a member started with another count is
	// refused.
	Partitions int
	// Replicas is how many members keep each partition: 2 (the default) keeps a
	// synchronous copy on a standby, which takes the partition over within the lease's
	// TTL when its primary is gone; 1 keeps a partition only on its owner, where it
	// waits for that member to return when it is down (on a volume that moves with it,
	// say). A cluster of one member keeps one copy whatever this says.
	Replicas int
	// Secret is what members present to each other; traffic between members without
	// it is refused. Default: $DURABLE_CLUSTER_SECRET.
	Secret string
	// TTL is the ownership lease of a member (default 5 s): a member that cannot renew
	// it stops committing within two thirds of it.
	TTL time.Duration
}

// clusterStamp is kept in a member's data directory: which cluster the data belongs to,
// and which member it is, so a restart takes back the same partitions and a directory
// of another cluster is refused.
type clusterStamp struct {
	Cluster   string `json:"cluster"`
	ClusterID string `json:"clusterId,omitempty"`
	Member    string `json:"member"`
	// fresh: the directory had no stamp: the member starts for the first time.
	fresh bool
}

const stampFile = "CLUSTER.json"

// hostConfig turns c into the host's settings, reading the data directory's stamp.
func (c *ClusterConfig) hostConfig(dir string, inMemory bool) (*actors.ClusterConfig, *clusterStamp, error) {
	switch {
	case c.Name == "":
		return nil, nil, errors.New("durable: ClusterConfig.Name is empty")
	case len(c.Etcd) == 0:
		return nil, nil, errors.New("durable: ClusterConfig.Etcd lists no endpoint")
	case c.Replicas < 0 || c.Replicas > 2:
		return nil, nil, fmt.Errorf("durable: ClusterConfig.Replicas %d: a partition has 1 or 2 copies", c.Replicas)
	}
	host, portText, err := net.SplitHostPort(c.Peer)
	if err != nil {
		return nil, nil, fmt.Errorf("durable: ClusterConfig.Peer %q: want host:port: %w", c.Peer, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, nil, fmt.Errorf("durable: ClusterConfig.Peer %q: bad port", c.Peer)
	}
	stamp := &clusterStamp{Cluster: c.Name}
	if !inMemory {
		b, err := os.ReadFile(filepath.Join(dir, stampFile))
		switch {
		case err == nil:
			if err := json.Unmarshal(b, stamp); err != nil {
				return nil, nil, fmt.Errorf("durable: %s in %q is unreadable: %w", stampFile, dir, err)
			}
			if stamp.Cluster != c.Name {
				return nil, nil, fmt.Errorf("durable: data directory %q belongs to cluster %q, not %q", dir, stamp.Cluster, c.Name)
			}
		case !errors.Is(err, os.ErrNotExist):
			return nil, nil, err
		}
	}
	if stamp.Member == "" {
		stamp.Member, stamp.fresh = newMemberID(), true
	}
	secret := c.Secret
	if secret == "" {
		secret = os.Getenv("DURABLE_CLUSTER_SECRET")
	}
	replicas := c.Replicas
	if inMemory {
		replicas = 1 // a copy of what is lost at exit anyway is not worth its cost
	}
	return &actors.ClusterConfig{
		Name: c.Name, Host: host, Port: port, Secret: secret,
		Group: cluster.Group{Etcd: c.Etcd, MemberID: stamp.Member, Partitions: c.Partitions, TTL: c.TTL, ClusterID: stamp.ClusterID,
			Replicas: replicas},
	}, stamp, nil
}

// save writes the stamp once the member joined and knows its cluster's id.
func (s *clusterStamp) save(dir, clusterID string) error {
	if s.ClusterID == clusterID {
		return nil
	}
	s.ClusterID = clusterID
	return s.write(dir)
}

// write replaces the stamp file, atomically.
func (s *clusterStamp) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stampFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stampFile))
}

func newMemberID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	if host == "" {
		host = "member"
	}
	return host + "-" + hex.EncodeToString(b[:])
}

// ClusterInfo is the membership and ownership table as the member asked sees it.
type ClusterInfo struct {
	// Name and ID of the cluster; both empty for a runtime on its own.
	Name string `json:"cluster"`
	ID   string `json:"clusterId"`
	// Self is the id of the member that answered.
	Self       string          `json:"self"`
	Partitions int             `json:"partitions"`
	Members    []ClusterMember `json:"members"`
	Owners     []PartitionInfo `json:"owners"`
	// ActivitiesSent and ActivitiesRun count the activities the member that answered
	// sent to other members while its workers were busy, and ran for other members.
	ActivitiesSent int64 `json:"activitiesSent"`
	ActivitiesRun  int64 `json:"activitiesRun"`
	// Replication counts what the member that answered did as a primary: appends its
	// standbys applied, instances copied to new standbys, standbys dropped after they
	// failed to answer, partitions handed off, and the longest a partition held its
	// appends for a copy or a handoff (its unavailable window), in milliseconds.
	Replication ReplicationInfo `json:"replication"`
}

// ReplicationInfo is a member's replication counters; see ClusterInfo.
type ReplicationInfo struct {
	Replicated   int64   `json:"replicated"`
	Copied       int64   `json:"copied"`
	StandbysLost int64   `json:"standbysLost"`
	HandedOff    int64   `json:"handedOff"`
	MaxHoldMs    float64 `json:"maxHoldMs"`
}

// ClusterMember is one live member. Leaving: it is handing its partitions off before
// it stops.
type ClusterMember struct {
	ID      string `json:"id"`
	Peer    string `json:"peer"`
	Leaving bool   `json:"leaving,omitempty"`
}

// PartitionInfo says who owns a partition: its primary, its standby, and the epoch
// that fences the writes of earlier owners. An empty Primary: nobody owns it yet.
type PartitionInfo struct {
	Partition int    `json:"partition"`
	Primary   string `json:"primary"`
	Standby   string `json:"standby,omitempty"`
	Epoch     uint64 `json:"epoch"`
}

// Cluster returns the membership and ownership table as this runtime sees it.
func (c *Client) Cluster(_ context.Context) (*ClusterInfo, error) {
	h, err := c.rt.started()
	if err != nil {
		return nil, err
	}
	in, sent, ran := h.ClusterInfo()
	rs := h.Replication()
	out := &ClusterInfo{Self: in.Self, Partitions: in.Partitions, Members: []ClusterMember{}, Owners: []PartitionInfo{},
		ActivitiesSent: sent, ActivitiesRun: ran,
		Replication: ReplicationInfo{Replicated: rs.Replicated, Copied: rs.Copied, StandbysLost: rs.StandbysLost,
			HandedOff: rs.HandedOff, MaxHoldMs: float64(rs.MaxHold.Microseconds()) / 1000}}
	if in.ID != "" {
		out.Name, out.ID = in.Name, in.ID
	}
	for _, m := range in.Members {
		out.Members = append(out.Members, ClusterMember{ID: m.ID, Peer: m.Peer, Leaving: m.Leaving})
	}
	for p, r := range in.Owners {
		out.Owners = append(out.Owners, PartitionInfo{Partition: p, Primary: r.Primary, Standby: r.Standby, Epoch: r.Epoch})
	}
	return out, nil
}
