package journaltest

import (
	"errors"
	"fmt"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/internal/query"
)

var statuses = []history.RuntimeStatus{history.StatusRunning, history.StatusCompleted, history.StatusFailed}

// seedList creates 24 instances: "order-00".."order-11" and "ship-00".."ship-11",
// with names Order/Ship, statuses cycling through statuses, and creation times an
// hour apart in the order above. It returns all ids in id order.
func seedList(h *harness) []string {
	var ids []string
	for i := range 24 {
		kind, name := "order", "Order"
		if i >= 12 {
			kind, name = "ship", "Ship"
		}
		id := fmt.Sprintf("%s-%02d", kind, i%12)
		r := row(id, name, statuses[i%3])
		r.CreatedAt = at(time.Duration(i) * time.Hour)
		h.mustAppend(&persistence.Batch{InstanceID: id, Instance: r, Events: events(0, i%4),
			SetInput: fmt.Appendf(nil, `"in-%d"`, i), SetOutput: fmt.Appendf(nil, `"out-%d"`, i)})
		ids = append(ids, id)
	}
	return ids
}

// listAll follows continuation tokens to the end and checks that every page but the
// last is full.
func (h *harness) listAll(q persistence.Query) []*persistence.Instance {
	h.t.Helper()
	var all []*persistence.Instance
	for pages := 0; ; pages++ {
		if pages > 1000 {
			h.t.Fatal("List never returned an empty continuation token")
		}
		page, next, err := h.j.List(h.ctx, q)
		if err != nil {
			h.t.Fatalf("List(%+v): %v", q, err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		if q.PageSize > 0 && len(page) != q.PageSize {
			h.t.Fatalf("page %d holds %d instances, want %d before the last page", pages, len(page), q.PageSize)
		}
		q.Continuation = next
	}
}

func ids(insts []*persistence.Instance) []string {
	var out []string
	for _, in := range insts {
		out = append(out, in.ID)
	}
	return out
}

func testListFilters(h *harness) {
	all := seedList(h)
	pick := func(keep func(i int) bool) []string {
		var out []string
		for i, id := range all {
			if keep(i) {
				out = append(out, id)
			}
		}
		return out
	}
	tests := []struct {
		name string
		q    persistence.Query
		want []string
	}{
		{"no filter", persistence.Query{}, all},
		{"status", persistence.Query{Statuses: []history.RuntimeStatus{history.StatusCompleted, history.StatusFailed}},
			pick(func(i int) bool { return i%3 != 0 })},
		{"name", persistence.Query{Name: "Ship"}, all[12:]},
		{"id prefix", persistence.Query{IDPrefix: "order-1"}, []string{"order-10", "order-11"}},
		{"created from (inclusive)", persistence.Query{CreatedFrom: at(20 * time.Hour)}, all[20:]},
		{"created to (exclusive)", persistence.Query{CreatedTo: at(3 * time.Hour)}, all[:3]},
		{"combined", persistence.Query{Name: "Order", Statuses: []history.RuntimeStatus{history.StatusRunning},
			CreatedFrom: at(time.Hour), CreatedTo: at(10 * time.Hour)}, []string{"order-03", "order-06", "order-09"}},
		{"nothing matches", persistence.Query{IDPrefix: "zzz"}, nil},
	}
	for _, tc := range tests {
		page, next, err := h.j.List(h.ctx, tc.q)
		if err != nil {
			h.t.Fatalf("%s: %v", tc.name, err)
		}
		h.equal(tc.name+": ids", ids(page), tc.want)
		h.equal(tc.name+": continuation", next, "")
	}
	page, _, err := h.j.List(h.ctx, persistence.Query{IDPrefix: "order-05"})
	if err != nil || len(page) != 1 {
		h.t.Fatalf("List order-05: %v, %d instances", err, len(page))
	}
	got := page[0]
	want := row("order-05", "Order", statuses[5%3])
	want.CreatedAt = at(5 * time.Hour)
	h.rowEqual(got, want)
	h.equal("listed version", got.Version, uint64(1))
	h.equal("listed history length", got.HistoryLen, 1)
}

func testListPaging(h *harness) {
	all := seedList(h)
	for _, size := range []int{1, 5, 12, 24, 25} {
		h.equal(fmt.Sprintf("page size %d", size), ids(h.listAll(persistence.Query{PageSize: size})), all)
	}
	filtered := persistence.Query{Statuses: []history.RuntimeStatus{history.StatusFailed}, PageSize: 2}
	h.equal("filtered pages", ids(h.listAll(filtered)),
		[]string{"order-02", "order-05", "order-08", "order-11", "ship-02", "ship-05", "ship-08", "ship-11"})
	prefixed := persistence.Query{IDPrefix: "ship-", PageSize: 5}
	h.equal("prefixed pages", ids(h.listAll(prefixed)), all[12:])

	for i := range 130 {
		h.mustAppend(create(fmt.Sprintf("zz-%03d", i)))
	}
	page, next, err := h.j.List(h.ctx, persistence.Query{IDPrefix: "zz-"})
	if err != nil {
		h.t.Fatal(err)
	}
	h.equal("default page size", len(page), 100)
	if next == "" {
		h.t.Fatal("first of two default pages returned no continuation token")
	}
}

func testListPayloads(h *harness) {
	seedList(h)
	q := persistence.Query{IDPrefix: "order-0", PageSize: 3}
	for _, in := range h.listAll(q) {
		if in.Input != nil || in.Output != nil {
			h.t.Fatalf("%s: payloads listed without WithPayloads", in.ID)
		}
	}
	q.WithPayloads = true
	for i, in := range h.listAll(q) {
		h.equal(in.ID+" input", string(in.Input), fmt.Sprintf(`"in-%d"`, i))
		h.equal(in.ID+" output", string(in.Output), fmt.Sprintf(`"out-%d"`, i))
	}
}

func timer(id string, n int64, d time.Duration) persistence.Timer {
	return persistence.Timer{InstanceID: id, ExecutionID: "x-" + id, ID: n, FireAt: at(d), Payload: fmt.Appendf(nil, `"%s/%d"`, id, n)}
}

func testTimers(h *harness) {
	t1 := []persistence.Timer{timer("t1", 1, 3*time.Second), timer("t1", 2, time.Second), timer("t1", 3, 2*time.Second)}
	t2 := []persistence.Timer{timer("t2", 1, time.Second), timer("t2", 2, 10*time.Second)}
	h.mustAppend(&persistence.Batch{InstanceID: "t1", Instance: row("t1", "T", history.StatusRunning), ArmTimers: t1})
	h.mustAppend(&persistence.Batch{InstanceID: "t2", Instance: row("t2", "T", history.StatusRunning), ArmTimers: t2})

	want := []persistence.Timer{t1[1], t2[0], t1[2], t1[0], t2[1]}
	h.equal("all timers", normAll(h.timers(at(time.Hour), 0), normTimer), normAll(want, normTimer))
	h.equal("due by 2s (inclusive)", normAll(h.timers(at(2*time.Second), 0), normTimer), normAll(want[:3], normTimer))
	h.equal("limit 2", normAll(h.timers(at(time.Hour), 2), normTimer), normAll(want[:2], normTimer))
	h.equal("due before the first", len(h.timers(at(time.Second-1), 0)), 0)
}

func testCancelTimers(h *harness) {
	armed := []persistence.Timer{timer("c", 1, time.Second), timer("c", 2, 2*time.Second), timer("c", 3, 3*time.Second)}
	h.mustAppend(&persistence.Batch{InstanceID: "c", Instance: row("c", "C", history.StatusRunning), ArmTimers: armed})
	wrongTime := armed[2]
	wrongTime.FireAt = at(time.Minute)
	h.mustAppend(&persistence.Batch{InstanceID: "c", ExpectedVersion: 1, CancelTimers: []persistence.Timer{
		armed[1],                    // cancelled
		wrongTime,                   // no such timer: ignored
		timer("c", 99, time.Second), // absent: ignored
		{InstanceID: "c", ID: 1, FireAt: armed[0].FireAt}, // matched without payload
	}})
	h.equal("timers left", normAll(h.timers(at(time.Hour), 0), normTimer), normAll(armed[2:], normTimer))
}

// testTimerOwnership: a timer belongs to the instance it fires at, which defaults to
// the batch's, and goes when that instance is deleted, whoever armed it.
func testTimerOwnership(h *harness) {
	h.mustAppend(&persistence.Batch{InstanceID: "target", Instance: row("target", "E", history.StatusRunning)})
	h.mustAppend(&persistence.Batch{InstanceID: "owner", Instance: row("owner", "O", history.StatusRunning),
		ArmTimers: []persistence.Timer{
			{ID: 1, FireAt: at(time.Second)},
			{InstanceID: "target", ID: 2, FireAt: at(2 * time.Second), Payload: []byte(`"signal"`)},
		}})
	owners := func() []string {
		var out []string
		for _, t := range h.timers(at(time.Hour), 0) {
			out = append(out, fmt.Sprintf("%s/%d", t.InstanceID, t.ID))
		}
		return out
	}
	h.equal("timers", owners(), []string{"owner/1", "target/2"})
	h.mustAppend(&persistence.Batch{InstanceID: "target", ExpectedVersion: 1, Delete: true})
	h.equal("timers after deleting the target", owners(), []string{"owner/1"})
	h.mustAppend(&persistence.Batch{InstanceID: "owner", ExpectedVersion: 1,
		CancelTimers: []persistence.Timer{{ID: 1, FireAt: at(time.Second)}}})
	h.equal("timers after cancelling without an instance id", len(owners()), 0)
}

// testLaterDecisionWins: a batch that arms and cancels one timer, or sends and
// delivers one message, ends with neither. A message's sender is the batch's instance.
func testLaterDecisionWins(h *harness) {
	t := persistence.Timer{InstanceID: "both", ID: 1, FireAt: base}
	h.mustAppend(&persistence.Batch{InstanceID: "both", Instance: row("both", "B", history.StatusRunning),
		ArmTimers: []persistence.Timer{t}, CancelTimers: []persistence.Timer{t},
		Send:      []persistence.Message{{From: "someone-else", ID: 1, To: "x"}, {ID: 2, To: "y"}},
		Delivered: []int64{1}})
	h.equal("timers", len(h.timers(at(time.Hour), 0)), 0)
	msgs := h.outbox()
	if len(msgs) != 1 || msgs[0].ID != 2 || msgs[0].From != "both" {
		h.t.Fatalf("outbox: %+v, want message 2 from both", msgs)
	}
}

func testRecoverable(h *harness) {
	for _, id := range []string{"rc", "ra", "rb", "rd"} {
		h.mustAppend(&persistence.Batch{InstanceID: id, Instance: row(id, "R", history.StatusRunning), Recover: ptr(true)})
	}
	h.mustAppend(&persistence.Batch{InstanceID: "rb", ExpectedVersion: 1, Recover: ptr(false)})
	h.mustAppend(&persistence.Batch{InstanceID: "rc", ExpectedVersion: 1, Events: events(0, 1)}) // Recover nil: kept
	h.mustAppend(&persistence.Batch{InstanceID: "rd", ExpectedVersion: 1, Recover: ptr(true)})
	h.equal("recoverable", h.recoverable(), []string{"ra", "rc", "rd"})

	stop := errors.New("stop")
	calls := 0
	err := h.j.Recoverable(h.ctx, func(string) error { calls++; return stop })
	h.wantErr("Recoverable with a failing fn", err, stop)
	h.equal("calls after fn failed", calls, 1)
}

func testOutbox(h *harness) {
	msg := func(id int64, to string) persistence.Message {
		return persistence.Message{ID: id, To: to, Payload: fmt.Appendf(nil, `{"m":%d}`, id)}
	}
	h.mustAppend(&persistence.Batch{InstanceID: "s2", Instance: row("s2", "S", history.StatusRunning),
		Send: []persistence.Message{msg(1, "x"), msg(2, "y"), msg(3, "x")}})
	h.mustAppend(&persistence.Batch{InstanceID: "s1", Instance: row("s1", "S", history.StatusRunning),
		Send: []persistence.Message{msg(4, "z"), msg(5, "z")}})
	h.mustAppend(&persistence.Batch{InstanceID: "s1", ExpectedVersion: 1, Send: []persistence.Message{msg(6, "z")}})

	type sent struct {
		From, To, Payload string
		ID                int64
	}
	flatten := func(msgs []persistence.Message) []sent {
		var out []sent
		for _, m := range msgs {
			out = append(out, sent{m.From, m.To, string(m.Payload), m.ID})
		}
		return out
	}
	h.equal("outbox", flatten(h.outbox()), []sent{
		{"s1", "z", `{"m":4}`, 4}, {"s1", "z", `{"m":5}`, 5}, {"s1", "z", `{"m":6}`, 6},
		{"s2", "x", `{"m":1}`, 1}, {"s2", "y", `{"m":2}`, 2}, {"s2", "x", `{"m":3}`, 3},
	})
	h.mustAppend(&persistence.Batch{InstanceID: "s2", ExpectedVersion: 1, Delivered: []int64{1, 3, 42}})
	h.equal("outbox after delivery", flatten(h.outbox()), []sent{
		{"s1", "z", `{"m":4}`, 4}, {"s1", "z", `{"m":5}`, 5}, {"s1", "z", `{"m":6}`, 6}, {"s2", "y", `{"m":2}`, 2},
	})

	stop := errors.New("stop")
	calls := 0
	err := h.j.Outbox(h.ctx, func(persistence.Message) error { calls++; return stop })
	h.wantErr("Outbox with a failing fn", err, stop)
	h.equal("calls after fn failed", calls, 1)
}

// testCallbacksUseJournal reads and appends from inside Recoverable and Outbox, as a
// runtime recovering after a restart does.
func testCallbacksUseJournal(h *harness) {
	for _, id := range []string{"cb1", "cb2"} {
		h.mustAppend(&persistence.Batch{InstanceID: id, Instance: row(id, "C", history.StatusRunning),
			Recover: ptr(true), Send: []persistence.Message{{ID: 1, To: "peer"}}})
	}
	err := h.j.Recoverable(h.ctx, func(id string) error {
		inst, err := h.j.Get(h.ctx, id, false)
		if err != nil {
			return err
		}
		return persistence.AppendSync(h.ctx, h.j, &persistence.Batch{InstanceID: id, ExpectedVersion: inst.Version, Recover: ptr(false)})
	})
	if err != nil {
		h.t.Fatalf("Recoverable: %v", err)
	}
	err = h.j.Outbox(h.ctx, func(m persistence.Message) error {
		inst, err := h.j.Get(h.ctx, m.From, false)
		if err != nil {
			return err
		}
		return persistence.AppendSync(h.ctx, h.j, &persistence.Batch{InstanceID: m.From, ExpectedVersion: inst.Version, Delivered: []int64{m.ID}})
	})
	if err != nil {
		h.t.Fatalf("Outbox: %v", err)
	}
	h.equal("recoverable after clearing", len(h.recoverable()), 0)
	h.equal("outbox after delivering", len(h.outbox()), 0)
}

// testListEntities checks that entity rows (ids beginning with '@') and orchestrations
// are listed apart, and the last-update filters.
func testListEntities(h *harness) {
	for i, id := range []string{"@counter@a", "@account@x", "@counter@b", "plain"} {
		r := row(id, "Kind", history.StatusRunning)
		r.UpdatedAt = at(time.Duration(i) * time.Hour)
		h.mustAppend(&persistence.Batch{InstanceID: id, Instance: r})
	}
	tests := []struct {
		name string
		q    persistence.Query
		want []string
	}{
		{"orchestrations only", persistence.Query{}, []string{"plain"}},
		{"entities only", persistence.Query{Entities: true}, []string{"@account@x", "@counter@a", "@counter@b"}},
		{"entities by name", persistence.Query{Entities: true, IDPrefix: "@counter@"}, []string{"@counter@a", "@counter@b"}},
		{"updated from (inclusive)", persistence.Query{Entities: true, UpdatedFrom: at(time.Hour)}, []string{"@account@x", "@counter@b"}},
		{"updated to (exclusive)", persistence.Query{Entities: true, UpdatedTo: at(time.Hour)}, []string{"@counter@a"}},
	}
	for _, tc := range tests {
		page, _, err := h.j.List(h.ctx, tc.q)
		if err != nil {
			h.t.Fatalf("%s: %v", tc.name, err)
		}
		h.equal(tc.name, ids(page), tc.want)
	}
}

// testListBounded: a page holds at most persistence.MaxPageSize instances however many are
// asked for, and stops early once its payloads pass query.MaxPageBytes; paging still
// reaches every instance.
func testListBounded(h *harness) {
	var pending []<-chan error
	for i := range persistence.MaxPageSize + 1 {
		id := fmt.Sprintf("many-%04d", i)
		pending = append(pending, h.submit(&persistence.Batch{InstanceID: id, Instance: row(id, "Many", history.StatusRunning)}))
	}
	for _, ch := range pending {
		if err := h.wait(ch); err != nil {
			h.t.Fatal(err)
		}
	}
	page, next, err := h.j.List(h.ctx, persistence.Query{IDPrefix: "many-", PageSize: 1 << 20})
	if err != nil {
		h.t.Fatal(err)
	}
	h.equal("instances on a page asked for 1<<20", len(page), persistence.MaxPageSize)
	h.equal("continuation", next, page[len(page)-1].ID)

	big := make([]byte, 900<<10)
	for i := range big {
		big[i] = 'x'
	}
	big[0], big[len(big)-1] = '"', '"'
	const n = 20
	for i := range n {
		id := fmt.Sprintf("big-%02d", i)
		h.mustAppend(&persistence.Batch{InstanceID: id, Instance: row(id, "Big", history.StatusRunning), SetInput: big})
	}
	q := persistence.Query{IDPrefix: "big-", WithPayloads: true}
	page, next, err = h.j.List(h.ctx, q)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(page) >= n || next == "" || len(page)*len(big) > query.MaxPageBytes+len(big) {
		h.t.Fatalf("a page of %d 900-KiB payloads, continuation %q", len(page), next)
	}
	total := len(page)
	for next != "" {
		q.Continuation = next
		if page, next, err = h.j.List(h.ctx, q); err != nil {
			h.t.Fatal(err)
		}
		total += len(page)
	}
	h.equal("instances over all pages", total, n)
}
