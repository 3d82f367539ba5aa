package ownership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Errors callers branch on.
var (
	// ErrConflict: the record changed since it was read; read it again and decide anew.
	ErrConflict = errors.New("ownership record changed meanwhile")
	// ErrMismatch: a member's settings disagree with the cluster's; retrying will not help.
	ErrMismatch = errors.New("settings disagree with the cluster's")
)

// Meta is what a cluster fixes when it is created; every member must agree with it.
type Meta struct {
	// ID tells this cluster apart from an earlier one of the same name, so a data
	// directory of the other is refused.
	ID         string `json:"id"`
	Partitions int    `json:"partitions"`
	// Format is the message and journal format the members speak.
	Format int `json:"format"`
	// Secret is what members present to each other when they were given none of
	// their own: whoever may read the cluster's etcd may join it.
	Secret string `json:"secret,omitempty"`
}

// Record is the ownership of one partition.
type Record struct {
	Primary string `json:"primary,omitempty"`
	Standby string `json:"standby,omitempty"`
	Epoch   uint64 `json:"epoch"`
	// Revision is the etcd revision the record was read at; 0: never written.
	Revision int64 `json:"-"`
}

// Store is the ownership table of one cluster, under /durable/<cluster>/ in etcd.
type Store struct {
	c      *clientv3.Client
	prefix string
}

// NewStore returns the table of the cluster named name.
func NewStore(c *clientv3.Client, name string) *Store {
	return &Store{c: c, prefix: path.Join("/durable", name) + "/"}
}

func (s *Store) metaKey() string                     { return s.prefix + "meta" }
func (s *Store) partitionKey(p int) string           { return s.prefix + "partitions/" + strconv.Itoa(p) }
func (s *Store) memberKey(id string) string          { return s.prefix + "members/" + id }
func (s *Store) partitionsPrefix() string            { return s.prefix + "partitions/" }
func (s *Store) membersPrefix() string               { return s.prefix + "members/" }
func partitionOfKey(prefix, key string) (int, error) { return strconv.Atoi(key[len(prefix):]) }

// Join creates the cluster's meta record if there is none, and otherwise checks that
// want agrees with it; a disagreement is refused with a message saying which setting.
// want.ID is used only when the cluster is created; the stored Meta is returned.
func (s *Store) Join(ctx context.Context, want Meta) (Meta, error) {
	b, err := json.Marshal(want)
	if err != nil {
		return Meta{}, err
	}
	key := s.metaKey()
	res, err := s.c.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(b))).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return Meta{}, fmt.Errorf("ownership: read cluster meta: %w", err)
	}
	if res.Succeeded {
		return want, nil
	}
	kvs := res.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return Meta{}, errors.New("ownership: cluster meta vanished while it was read")
	}
	var got Meta
	if err := json.Unmarshal(kvs[0].Value, &got); err != nil {
		return Meta{}, fmt.Errorf("ownership: cluster meta %q is unreadable: %w", key, err)
	}
	switch {
	case got.Partitions != want.Partitions:
		return got, fmt.Errorf("%w: the cluster was created with %d partitions, this member was started with %d: "+
			"the partition count is fixed when a cluster is created", ErrMismatch, got.Partitions, want.Partitions)
	case got.Format != want.Format:
		return got, fmt.Errorf("%w: the cluster's members speak format %d, this member format %d: "+
			"upgrade or downgrade the members to one version", ErrMismatch, got.Format, want.Format)
	}
	return got, nil
}

// Partitions reads every partition's record: absent ones come back zero, with
// Revision 0. The returned revision is the etcd revision of the read, from which a
// watch continues.
func (s *Store) Partitions(ctx context.Context, n int) ([]Record, int64, error) {
	res, err := s.c.Get(ctx, s.partitionsPrefix(), clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("ownership: read partitions: %w", err)
	}
	recs := make([]Record, n)
	for _, kv := range res.Kvs {
		p, err := partitionOfKey(s.partitionsPrefix(), string(kv.Key))
		if err != nil || p < 0 || p >= n {
			continue
		}
		if err := json.Unmarshal(kv.Value, &recs[p]); err != nil {
			return nil, 0, fmt.Errorf("ownership: record of partition %d is unreadable: %w", p, err)
		}
		recs[p].Revision = kv.ModRevision
	}
	return recs, res.Header.Revision, nil
}

// Swap replaces partition p's record old (as read) with next, only if nobody changed it
// since; otherwise it returns ErrConflict. A change of primary must raise the epoch.
func (s *Store) Swap(ctx context.Context, p int, old, next Record) (Record, error) {
	if next.Primary != old.Primary && next.Epoch <= old.Epoch {
		return Record{}, fmt.Errorf("ownership: partition %d changes primary from %q to %q without raising epoch %d",
			p, old.Primary, next.Primary, old.Epoch)
	}
	b, err := json.Marshal(next)
	if err != nil {
		return Record{}, err
	}
	key := s.partitionKey(p)
	res, err := s.c.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", old.Revision)).
		Then(clientv3.OpPut(key, string(b))).
		Commit()
	if err != nil {
		return Record{}, fmt.Errorf("ownership: swap partition %d: %w", p, err)
	}
	if !res.Succeeded {
		return Record{}, fmt.Errorf("%w: partition %d", ErrConflict, p)
	}
	next.Revision = res.Header.Revision
	return next, nil
}

// Member is what a member publishes about itself while its lease lives.
type Member struct {
	ID string `json:"id"`
	// Peer is the address other members reach it at.
	Peer string `json:"peer"`
	// HTTP is its HTTP API's address, if it serves one.
	HTTP   string `json:"http,omitempty"`
	Format int    `json:"format"`
	// Leaving: the member is handing its partitions off before it stops; it takes
	// none from the others, and keeps no copy for them.
	Leaving bool `json:"leaving,omitempty"`
}

// Members lists the members whose leases live, in id order.
func (s *Store) Members(ctx context.Context) ([]Member, int64, error) {
	res, err := s.c.Get(ctx, s.membersPrefix(), clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("ownership: read members: %w", err)
	}
	out := make([]Member, 0, len(res.Kvs))
	for _, kv := range res.Kvs {
		var m Member
		if err := json.Unmarshal(kv.Value, &m); err == nil {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, res.Header.Revision, nil
}
