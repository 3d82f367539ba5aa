// Package query holds the parts of List that every journal implements the same way, so
// implementations cannot drift apart on what a filter means.
package query

import (
	"slices"
	"strings"

	"github.com/godurable/durable/persistence"
)

// DefaultPageSize is the page size of a Query that names none.
const DefaultPageSize = 100

// PageSize returns the number of instances one page of q holds.
func PageSize(q persistence.Query) int {
	if q.PageSize <= 0 {
		return DefaultPageSize
	}
	return q.PageSize
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

// After reports whether id lies past the continuation token, that is whether a page
// that follows the token may hold it. Tokens are the last id of the previous page.
func After(q persistence.Query, id string) bool {
	return q.Continuation == "" || id > q.Continuation
}
