package persistence

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// A listing pages by position: a continuation token names the last instance of the
// page before, by the keys the listing is ordered on, so that the next page starts
// after it whatever was created or deleted meanwhile. Journals and whoever merges
// their pages (a cluster lists every member) order and resume the same way through
// the methods below.

// Cursor is an instance's place in a listing.
type Cursor struct {
	// Created is the creation time in Unix nanoseconds, clamped to what an int64
	// holds; only newest-first listings order on it.
	Created int64
	ID      string
}

// CursorOf returns inst's place in the listings of q.
func (q Query) CursorOf(inst *Instance) Cursor {
	c := Cursor{ID: inst.ID}
	if q.NewestFirst {
		c.Created = UnixNanos(inst.CreatedAt)
	}
	return c
}

// Compare orders places as List returns instances for q: negative when a comes
// before b.
func (q Query) Compare(a, b Cursor) int {
	if q.NewestFirst {
		return cmp.Or(cmp.Compare(b.Created, a.Created), cmp.Compare(b.ID, a.ID))
	}
	return cmp.Compare(a.ID, b.ID)
}

// Token returns the continuation token of a page of q that ends at c.
func (q Query) Token(c Cursor) string {
	if q.NewestFirst {
		return strconv.FormatInt(c.Created, 10) + "/" + c.ID
	}
	return c.ID
}

// After returns the place q's continuation token names, which the page q asks for
// starts after; ok is false for a first page.
func (q Query) After() (c Cursor, ok bool, err error) {
	if q.Continuation == "" {
		return Cursor{}, false, nil
	}
	if !q.NewestFirst {
		return Cursor{ID: q.Continuation}, true, nil
	}
	created, id, found := strings.Cut(q.Continuation, "/")
	n, perr := strconv.ParseInt(created, 10, 64)
	if !found || perr != nil || id == "" {
		return Cursor{}, false, fmt.Errorf("%w: continuation token %.80q is not one of a newest-first listing", ErrInvalidQuery, q.Continuation)
	}
	return Cursor{Created: n, ID: id}, true, nil
}

// Validate reports, wrapping ErrInvalidQuery, a query that List cannot serve.
func (q Query) Validate() error {
	if q.NewestFirst && q.Entities {
		return fmt.Errorf("%w: entities are listed in id order only, not newest first", ErrInvalidQuery)
	}
	_, _, err := q.After()
	return err
}

var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// UnixNanos is t in Unix nanoseconds, with times an int64 cannot hold (the zero time
// among them) clamped to its bounds: the creation time as listings order on it.
func UnixNanos(t time.Time) int64 {
	switch {
	case t.Before(minNanoTime):
		return math.MinInt64
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}
