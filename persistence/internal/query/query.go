// Package query holds the parts of List that every journal implements the same way, so
// implementations cannot drift apart on what a filter means.
package query

import (
	"slices"
	"strings"

	"github.com/godurable/durable/persistence"
)

// MaxPageBytes bounds the payloads one page holds, so that no listing, however it is
// asked, holds much of the journal in memory; persistence.MaxPageSize bounds its count.
const MaxPageBytes = 16 << 20

// PageSize returns the number of instances one page of q holds at most.
func PageSize(q persistence.Query) int { return q.Limit() }

// Page gathers one page of a listing, in the query's order.
type Page struct {
	Instances []*persistence.Instance
	q         persistence.Query
	size      int
	bytes     int
}

// NewPage starts a page of q.
func NewPage(q persistence.Query) *Page { return &Page{q: q, size: PageSize(q)} }

// Full reports whether the page takes no more instances; a further match then means
// another page follows, and Continuation is its token.
func (p *Page) Full() bool {
	return len(p.Instances) >= p.size || len(p.Instances) > 0 && p.bytes >= MaxPageBytes
}

// Add appends inst, counting its payloads toward the page's bound.
func (p *Page) Add(inst *persistence.Instance) {
	p.Instances = append(p.Instances, inst)
	p.bytes += len(inst.Input) + len(inst.Output) + len(inst.CustomStatus)
}

// Continuation returns the token of the page after this one.
func (p *Page) Continuation() string {
	return p.q.Token(p.q.CursorOf(p.Instances[len(p.Instances)-1]))
}

// Matches reports whether inst passes every filter of q. The id prefix is checked too,
// though scans usually seek to it, so that callers need not trust their own seek.
func Matches(q persistence.Query, inst *persistence.Instance) bool {
	if !strings.HasPrefix(inst.ID, q.IDPrefix) || strings.HasPrefix(inst.ID, "@") != q.Entities {
		return false
	}
	if q.Name != "" && inst.Name != q.Name {
		return false
	}
	if len(q.Statuses) > 0 && !slices.Contains(q.Statuses, inst.Status) {
		return false
	}
	if !q.CreatedFrom.IsZero() && inst.CreatedAt.Before(q.CreatedFrom) {
		return false
	}
	if !q.CreatedTo.IsZero() && !inst.CreatedAt.Before(q.CreatedTo) {
		return false
	}
	if !q.UpdatedFrom.IsZero() && inst.UpdatedAt.Before(q.UpdatedFrom) {
		return false
	}
	if !q.UpdatedTo.IsZero() && !inst.UpdatedAt.Before(q.UpdatedTo) {
		return false
	}
	return true
}

// Start is where a page of a listing starts: after the place its continuation token
// names.
type Start struct {
	q     persistence.Query
	after persistence.Cursor
	set   bool
}

// StartOf returns where the page q asks for starts, or an error wrapping
// persistence.ErrInvalidQuery for a query no listing can serve.
func StartOf(q persistence.Query) (Start, error) {
	if err := q.Validate(); err != nil {
		return Start{}, err
	}
	after, set, err := q.After()
	return Start{q: q, after: after, set: set}, err
}

// Admits reports whether an instance at c lies past the token, that is whether the
// page may hold it.
func (s Start) Admits(c persistence.Cursor) bool {
	return !s.set || s.q.Compare(s.after, c) < 0
}
