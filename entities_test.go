package durable_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

// counterFn is a function-style entity.
func counterFn(ctx *entities.Context) error {
	var n int
	if err := ctx.GetState(&n); err != nil {
		return err
	}
	switch ctx.Operation() {
	case "add":
		var d int
		if err := ctx.Input(&d); err != nil {
			return err
		}
		if d < 0 {
			return errors.New("negative amounts are not allowed")
		}
		return ctx.SetState(n + d)
	case "get":
		return ctx.Return(n)
	case "delete":
		ctx.DeleteState()
		return nil
	}
	return &entities.UnknownOperationError{Entity: ctx.ID(), Operation: ctx.Operation()}
}

// Account is a typed entity: its methods are its operations.
type Account struct{ Balance int }

func (a *Account) Deposit(n int) { a.Balance += n }
func (a *Account) Get() int      { return a.Balance }
func (a *Account) Withdraw(n int) error {
	if n > a.Balance {
		return fmt.Errorf("insufficient funds: balance %d, asked %d", a.Balance, n)
	}
	a.Balance -= n
	return nil
}

// Log records operations in arrival order.
type Log struct{ Items []int }

func (l *Log) Append(i int) { l.Items = append(l.Items, i) }

type transfer struct {
	From, To string
	Amount   int
}

func init() {
	extraRegistrations = append(extraRegistrations, func(rt *durable.Runtime) {
		must(rt.RegisterEntity("Counter", counterFn))
		must(rt.RegisterEntity("Account", entities.Typed[Account]()))
		must(rt.RegisterEntity("Log", entities.Typed[Log]()))
		must(rt.RegisterEntity("Relay", func(ctx *entities.Context) error {
			var target string
			if err := ctx.Input(&target); err != nil {
				return err
			}
			if err := ctx.SignalEntity(entities.ID{Name: "Counter", Key: target}, "add", 2); err != nil {
				return err
			}
			_, err := ctx.StartOrchestration("Hello3", target, entities.WithInstanceID("relayed-"+target))
			return err
		}))
		must(rt.RegisterOrchestrator("Transfer", func(ctx *orchestrator.Context, t transfer) (bool, error) {
			from, to := entities.ID{Name: "Account", Key: t.From}, entities.ID{Name: "Account", Key: t.To}
			cs, err := orchestrator.LockEntities(ctx, from, to)
			if err != nil {
				return false, err
			}
			defer cs.Release()
			if _, err := orchestrator.CallEntity[struct{}](ctx, from, "Withdraw", t.Amount).Await(); err != nil {
				return false, nil // insufficient funds: nothing moved
			}
			if _, err := orchestrator.CallEntity[struct{}](ctx, to, "Deposit", t.Amount).Await(); err != nil {
				return false, err
			}
			return true, nil
		}))
		must(rt.RegisterOrchestrator("BumpAll", func(ctx *orchestrator.Context, keys []string) error {
			ids := make([]entities.ID, len(keys))
			for i, k := range keys {
				ids[i] = entities.ID{Name: "Account", Key: k}
			}
			cs, err := orchestrator.LockEntities(ctx, ids...)
			if err != nil {
				return err
			}
			defer cs.Release()
			// Read, then write: without the lock, concurrent bumps would lose updates.
			for _, id := range ids {
				n, err := orchestrator.CallEntity[int](ctx, id, "Get", nil).Await()
				if err != nil {
					return err
				}
				if _, err := orchestrator.CallEntity[struct{}](ctx, id, "Withdraw", n).Await(); err != nil {
					return err
				}
				if _, err := orchestrator.CallEntity[struct{}](ctx, id, "Deposit", n+1).Await(); err != nil {
					return err
				}
			}
			return nil
		}))
		must(rt.RegisterOrchestrator("HoldLock", func(ctx *orchestrator.Context, key string) error {
			cs, err := orchestrator.LockEntities(ctx, entities.ID{Name: "Account", Key: key})
			if err != nil {
				return err
			}
			defer cs.Release()
			_, err = orchestrator.WaitForExternalEvent[string](ctx, "Done").Await()
			return err
		}))
		must(rt.RegisterOrchestrator("CallCounter", func(ctx *orchestrator.Context, key string) (string, error) {
			id := entities.ID{Name: "Counter", Key: key}
			if _, err := orchestrator.CallEntity[struct{}](ctx, id, "add", 5).Await(); err != nil {
				return "", err
			}
			_, failed := orchestrator.CallEntity[struct{}](ctx, id, "add", -1).Await()
			_, unknown := orchestrator.CallEntity[struct{}](ctx, id, "frobnicate", nil).Await()
			n, err := orchestrator.CallEntity[int](ctx, id, "get", nil).Await()
			return fmt.Sprintf("%d|%v|%v", n, failed, unknown), err
		}))
		must(rt.RegisterOrchestrator("SignalInOrder", func(ctx *orchestrator.Context, n int) error {
			for i := 0; i < n; i++ {
				if err := ctx.SignalEntity(entities.ID{Name: "Log", Key: ctx.InstanceID()}, "Append", i); err != nil {
					return err
				}
			}
			return nil
		}))
		must(rt.RegisterOrchestrator("BadCriticalSection", func(ctx *orchestrator.Context, what string) (string, error) {
			a, b := entities.ID{Name: "Account", Key: "cs-a"}, entities.ID{Name: "Account", Key: "cs-b"}
			cs, err := orchestrator.LockEntities(ctx, a)
			if err != nil {
				return "", err
			}
			defer cs.Release()
			switch what {
			case "other":
				_, err = orchestrator.CallEntity[int](ctx, b, "Get", nil).Await()
			case "nested":
				_, err = orchestrator.LockEntities(ctx, b)
			case "child":
				_, err = orchestrator.CallSubOrchestrator[[]string](ctx, "Hello3", "x").Await()
			}
			if err == nil {
				return "", errors.New("violation was allowed")
			}
			return err.Error(), nil
		}))
	})
}

var runSeq atomic.Int64

// uniq returns a key no other test run in this process used, since the shared
// runtime keeps entities between runs of -count.
func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, runSeq.Add(1)) }

func TestCounterSignalsAndState(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	key := uniq("signals")
	id := entities.ID{Name: "counter", Key: key}
	var wg sync.WaitGroup
	for i := 1; i <= 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.SignalEntity(ctx, id, "add", i); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st, err := c.Entity(ctx, entities.ID{Name: "COUNTER", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.DecodeState(&n); err != nil || n != 50*51/2 {
		t.Fatalf("state %s %v", st.State, err)
	}
	if err := c.SignalEntity(ctx, id, "delete", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() bool {
		_, err := c.Entity(ctx, id)
		return errors.Is(err, durable.ErrEntityNotFound)
	})
}

func TestEntitySignalsEntityAndStartsOrchestration(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	key := uniq("relay")
	if err := c.SignalEntity(ctx, entities.ID{Name: "Relay", Key: "r"}, "forward", key); err != nil {
		t.Fatal(err)
	}
	var n int
	waitFor(t, ctx, func() bool {
		st, err := c.Entity(ctx, entities.ID{Name: "Counter", Key: key})
		return err == nil && st.DecodeState(&n) == nil && n == 2
	})
	waitFor(t, ctx, func() bool {
		_, err := c.Status(ctx, "relayed-"+key)
		return err == nil
	})
	st, err := c.WaitForCompletion(ctx, "relayed-"+key)
	if err != nil || !strings.Contains(string(st.Output), "Hello "+key) {
		t.Fatalf("%v %s", err, st.Output)
	}
}

func TestEntityBadInput(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	if err := c.SignalEntity(ctx, entities.ID{Name: "Nope", Key: "k"}, "add", 1); !errors.Is(err, durable.ErrUnknownEntity) {
		t.Errorf("unknown entity: %v", err)
	}
	if err := c.SignalEntity(ctx, entities.ID{Name: "Counter", Key: "a/b"}, "add", 1); !errors.Is(err, durable.ErrInvalidInput) {
		t.Errorf("bad key: %v", err)
	}
	if _, err := c.Entity(ctx, entities.ID{Name: "Counter", Key: "never-used"}); !errors.Is(err, durable.ErrEntityNotFound) {
		t.Errorf("missing entity: %v", err)
	}
}

func TestOrchestrationCallsEntity(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	id, err := c.Start(ctx, "CallCounter", uniq("called"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	_ = st.DecodeOutput(&out)
	parts := strings.Split(out, "|")
	if len(parts) != 3 || parts[0] != "5" || !strings.Contains(parts[1], "negative amounts") ||
		!strings.Contains(parts[2], `has no operation "frobnicate"`) {
		t.Fatalf("%v %q %+v", st.RuntimeStatus, out, st.Failure)
	}
}

func TestSignalsFromOneSenderApplyInOrderOnce(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	key := uniq("ordered")
	id, err := c.Start(ctx, "SignalInOrder", 200, durable.WithInstanceID(key))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForCompletion(ctx, id); err != nil {
		t.Fatal(err)
	}
	var log Log
	waitFor(t, ctx, func() bool {
		st, err := c.Entity(ctx, entities.ID{Name: "Log", Key: key})
		return err == nil && st.DecodeState(&log) == nil && len(log.Items) >= 200
	})
	for i, v := range log.Items {
		if i != v {
			t.Fatalf("item %d is %d: %v", i, v, log.Items)
		}
	}
	if len(log.Items) != 200 {
		t.Fatalf("%d items", len(log.Items))
	}
}

func TestScheduledSignal(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	id := entities.ID{Name: "Counter", Key: uniq("scheduled")}
	at := time.Now().Add(300 * time.Millisecond)
	if err := c.SignalEntity(ctx, id, "add", 7, durable.SignalAt(at)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Entity(ctx, id); !errors.Is(err, durable.ErrEntityNotFound) {
		t.Fatalf("applied before its time: %v", err)
	}
	var n int
	waitFor(t, ctx, func() bool {
		st, err := c.Entity(ctx, id)
		return err == nil && st.DecodeState(&n) == nil && n == 7
	})
	if time.Now().Before(at) {
		t.Fatal("applied before its time")
	}
}

func TestIdempotencyKey(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	id := entities.ID{Name: "Counter", Key: uniq("idempotent")}
	for i := 0; i < 3; i++ {
		if err := c.SignalEntity(ctx, id, "add", 1, durable.WithIdempotencyKey("once")); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SignalEntity(ctx, id, "add", 10, durable.WithIdempotencyKey("twice")); err != nil {
		t.Fatal(err)
	}
	st, err := c.Entity(ctx, id)
	var n int
	if err != nil || st.DecodeState(&n) != nil || n != 11 {
		t.Fatalf("%v %s", err, st.State)
	}
}

func TestConcurrentTransfersKeepTotal(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	const accounts, each, transfers = 5, 100, 60
	bank := uniq("acct")
	for i := 0; i < accounts; i++ {
		if err := c.SignalEntity(ctx, entities.ID{Name: "Account", Key: fmt.Sprint(bank, "-", i)}, "Deposit", each); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for i := 0; i < transfers; i++ {
		from, to := i%accounts, (i*3+1)%accounts
		if from == to {
			to = (to + 1) % accounts
		}
		id, err := c.Start(ctx, "Transfer", transfer{From: fmt.Sprint(bank, "-", from), To: fmt.Sprint(bank, "-", to), Amount: 7 + i%40})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	moved := 0
	for _, id := range ids {
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil || st.RuntimeStatus != durable.StatusCompleted {
			t.Fatalf("%s: %v %v %+v", id, err, st.RuntimeStatus, st.Failure)
		}
		if string(st.Output) == "true" {
			moved++
		}
	}
	total := 0
	for i := 0; i < accounts; i++ {
		// Releases travel after the orchestration's last step is recorded.
		var st *durable.EntityState
		waitFor(t, ctx, func() bool {
			var err error
			st, err = c.Entity(ctx, entities.ID{Name: "Account", Key: fmt.Sprint(bank, "-", i)})
			return err == nil && st.LockedBy == ""
		})
		var a Account
		if err := st.DecodeState(&a); err != nil {
			t.Fatal(err)
		}
		if a.Balance < 0 {
			t.Fatalf("account %d went negative: %d", i, a.Balance)
		}
		total += a.Balance
	}
	if total != accounts*each || moved == 0 {
		t.Fatalf("total %d, want %d (%d transfers moved money)", total, accounts*each, moved)
	}
}

// TestLockContention runs many orchestrations that lock overlapping sets of entities,
// listed in different orders, and read-modify-write each: the lock order makes
// deadlock impossible and the locks make every update count.
func TestLockContention(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	const n, accounts = 40, 6
	prefix := uniq("contended")
	want := make([]int, accounts)
	var ids []string
	for i := 0; i < n; i++ {
		set := []int{(i * 5) % accounts, (i*5 + 2) % accounts, (i*5 + 3) % accounts}
		if i%2 == 1 {
			set[0], set[2] = set[2], set[0]
		}
		keys := make([]string, len(set))
		for j, a := range set {
			keys[j] = fmt.Sprint(prefix, "-", a)
			want[a]++
		}
		id, err := c.Start(ctx, "BumpAll", keys)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if st, err := c.WaitForCompletion(ctx, id); err != nil || st.RuntimeStatus != durable.StatusCompleted {
			t.Fatalf("%s: %v %+v", id, err, st)
		}
	}
	for a := 0; a < accounts; a++ {
		var acct Account
		waitFor(t, ctx, func() bool {
			st, err := c.Entity(ctx, entities.ID{Name: "Account", Key: fmt.Sprint(prefix, "-", a)})
			return err == nil && st.LockedBy == "" && st.DecodeState(&acct) == nil
		})
		if acct.Balance != want[a] {
			t.Errorf("account %d: %d bumps recorded, want %d", a, acct.Balance, want[a])
		}
	}
}

// A lock request still queued when its orchestration is terminated is granted later
// to nobody; the orchestration gives it back, so the entity does not stay locked.
func TestTerminatedWaiterDoesNotKeepLock(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	key := uniq("held")
	id := entities.ID{Name: "Account", Key: key}
	if err := c.SignalEntity(ctx, id, "Deposit", 1); err != nil { // an entity exists while it has state
		t.Fatal(err)
	}
	holder, err := c.Start(ctx, "HoldLock", key)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() bool {
		st, err := c.Entity(ctx, id)
		return err == nil && st.LockedBy == holder
	})
	waiter, err := c.Start(ctx, "HoldLock", key)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Terminate(ctx, waiter, "gave up"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForCompletion(ctx, waiter); err != nil {
		t.Fatal(err)
	}
	if err := c.RaiseEvent(ctx, holder, "Done", "ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForCompletion(ctx, holder); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() bool {
		st, err := c.Entity(ctx, id)
		return err == nil && st.LockedBy == ""
	})
}

func TestCriticalSectionRules(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	for what, want := range map[string]string{
		"other":  "is not locked by the critical section",
		"nested": "cannot be nested",
		"child":  "sub-orchestrations cannot be started inside a critical section",
	} {
		id, err := c.Start(ctx, "BadCriticalSection", what)
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil || !strings.Contains(string(st.Output), want) {
			t.Errorf("%s: %v %s %+v", what, err, st.Output, st.Failure)
		}
	}
}

func TestListAndCleanEntities(t *testing.T) {
	ctx, c := ctxT(t), rt.Client()
	for _, k := range []string{"list-1", "list-2"} {
		if err := c.SignalEntity(ctx, entities.ID{Name: "Account", Key: k}, "Deposit", 1); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.ListEntities(ctx, durable.EntityQuery{Name: "account", WithState: true})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range page.Entities {
		if strings.HasPrefix(e.ID.Key, "list-") && len(e.State) > 0 {
			found++
		}
	}
	if found != 2 {
		t.Fatalf("listed %d of 2: %+v", found, page.Entities)
	}
	if _, _, err := c.CleanEntityStorage(ctx); err != nil {
		t.Fatal(err)
	}
	// Orchestration listings do not show entities.
	insts, err := c.List(ctx, durable.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range insts.Instances {
		if strings.HasPrefix(st.InstanceID, "@") {
			t.Fatalf("entity %s in orchestration listing", st.InstanceID)
		}
	}
	_ = context.Background
}
