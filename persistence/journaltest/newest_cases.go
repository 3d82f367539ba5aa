package journaltest

import (
	"fmt"
	"slices"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// reversed returns ids newest first, for instances seeded oldest first.
func reversed(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// testListNewestFirst: NewestFirst lists by creation time, newest first, filters as id
// order does, and pages to the end through every page size.
func testListNewestFirst(h *harness) {
	all := seedList(h) // created an hour apart, in id order
	newest := reversed(all)
	tests := []struct {
		name string
		q    persistence.Query
		want []string
	}{
		{"no filter", persistence.Query{}, newest},
		{"name", persistence.Query{Name: "Order"}, reversed(all[:12])},
		{"id prefix", persistence.Query{IDPrefix: "ship-0"}, reversed(all[12:22])},
		{"status", persistence.Query{Statuses: []history.RuntimeStatus{history.StatusFailed}},
			[]string{"ship-11", "ship-08", "ship-05", "ship-02", "order-11", "order-08", "order-05", "order-02"}},
		{"created range", persistence.Query{CreatedFrom: at(3 * time.Hour), CreatedTo: at(6 * time.Hour)},
			[]string{"order-05", "order-04", "order-03"}},
	}
	for _, tc := range tests {
		tc.q.NewestFirst = true
		h.equal(tc.name, ids(h.listAll(tc.q)), tc.want)
		for _, size := range []int{1, 2, 5} {
			tc.q.PageSize = size
			h.equal(fmt.Sprintf("%s, pages of %d", tc.name, size), ids(h.listAll(tc.q)), tc.want)
		}
	}
	q := persistence.Query{NewestFirst: true, IDPrefix: "order-0", WithPayloads: true, PageSize: 3}
	for _, in := range h.listAll(q) {
		var i int
		if _, err := fmt.Sscanf(in.ID, "order-%d", &i); err != nil {
			h.t.Fatal(err)
		}
		h.equal(in.ID+" input", string(in.Input), fmt.Sprintf(`"in-%d"`, i))
	}
}

// testNewestFirstTies: instances created at the same instant list in descending id
// order, and so do those whose creation time an int64 of nanoseconds cannot hold,
// which come last.
func testNewestFirstTies(h *harness) {
	for _, id := range []string{"tie-b", "tie-a", "tie-c", "zero-a", "zero-b", "late"} {
		r := row(id, "Tie", history.StatusRunning)
		switch id[:4] {
		case "zero":
			r.CreatedAt = time.Time{}
		case "late":
			r.CreatedAt = at(time.Minute)
		}
		h.mustAppend(&persistence.Batch{InstanceID: id, Instance: r})
	}
	want := []string{"late", "tie-c", "tie-b", "tie-a", "zero-b", "zero-a"}
	for _, size := range []int{1, 2, 4, 6} {
		h.equal(fmt.Sprintf("pages of %d", size), ids(h.listAll(persistence.Query{NewestFirst: true, PageSize: size})), want)
	}
}

// testNewestFirstFollowsChanges: an instance takes its place by its current creation
// time (a replaced instance moves, a batch without a row does not), deleted ones go,
// and a continuation token still resumes after its place when instances were created
// or deleted since it was handed out.
func testNewestFirstFollowsChanges(h *harness) {
	for i := range 6 {
		id := fmt.Sprintf("c-%d", i)
		r := row(id, "C", history.StatusRunning)
		r.CreatedAt = at(time.Duration(i) * time.Hour)
		h.mustAppend(&persistence.Batch{InstanceID: id, Instance: r})
	}
	list := func(q persistence.Query) []string { q.NewestFirst = true; return ids(h.listAll(q)) }
	h.equal("seeded", list(persistence.Query{}), []string{"c-5", "c-4", "c-3", "c-2", "c-1", "c-0"})

	// c-1 is started again: a new creation time, a fresh history.
	again := row("c-1", "C", history.StatusRunning)
	again.CreatedAt = at(10 * time.Hour)
	h.mustAppend(&persistence.Batch{InstanceID: "c-1", ExpectedVersion: 1, Instance: again, ResetHistory: true})
	// c-2 changes without a row, c-3 with its row and the same creation time.
	h.mustAppend(&persistence.Batch{InstanceID: "c-2", ExpectedVersion: 1, Events: events(0, 1)})
	done := row("c-3", "C", history.StatusCompleted)
	done.CreatedAt = at(3 * time.Hour)
	h.mustAppend(&persistence.Batch{InstanceID: "c-3", ExpectedVersion: 1, Instance: done})
	h.mustAppend(&persistence.Batch{InstanceID: "c-4", ExpectedVersion: 1, Delete: true})
	h.equal("after changes", list(persistence.Query{}), []string{"c-1", "c-5", "c-3", "c-2", "c-0"})
	h.equal("completed", list(persistence.Query{Statuses: []history.RuntimeStatus{history.StatusCompleted}}), []string{"c-3"})

	q := persistence.Query{NewestFirst: true, PageSize: 2}
	page, next, err := h.j.List(h.ctx, q)
	if err != nil {
		h.t.Fatal(err)
	}
	h.equal("first page", ids(page), []string{"c-1", "c-5"})
	newer := row("c-9", "C", history.StatusRunning)
	newer.CreatedAt = at(20 * time.Hour)
	h.mustAppend(&persistence.Batch{InstanceID: "c-9", Instance: newer})
	h.mustAppend(&persistence.Batch{InstanceID: "c-5", ExpectedVersion: 1, Delete: true})
	q.Continuation = next
	h.equal("pages after the token", ids(h.listAll(q)), []string{"c-3", "c-2", "c-0"})
}

// testNewestFirstRefusals: what a newest-first listing cannot serve fails with
// ErrInvalidQuery.
func testNewestFirstRefusals(h *harness) {
	h.mustAppend(create("x"))
	for _, q := range []persistence.Query{
		{NewestFirst: true, Entities: true},
		{NewestFirst: true, Continuation: "x"},
		{NewestFirst: true, Continuation: "12/"},
		{NewestFirst: true, Continuation: "twelve/x"},
	} {
		_, _, err := h.j.List(h.ctx, q)
		h.wantErr(fmt.Sprintf("List(%+v)", q), err, persistence.ErrInvalidQuery)
	}
}
