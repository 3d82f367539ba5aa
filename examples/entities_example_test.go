package examples_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/examples"
)

// A client signals the counter and reads its state; an orchestration calls "get". The
// key is unique only because the examples share a runtime that outlives one run.
func ExampleCounter() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rt.Client()
	id := entities.ID{Name: "Counter", Key: uniqueKey("visits")}
	for _, n := range []int{5, 7, 30} {
		if err := c.SignalEntity(ctx, id, "add", n); err != nil {
			panic(err)
		}
	}
	// Signals are one-way: the client learns they ran from the state they lead to.
	valueIs := func(want int) func(*durable.EntityState) bool {
		return func(st *durable.EntityState) bool {
			var counter examples.Counter
			return st != nil && st.DecodeState(&counter) == nil && counter.Value == want
		}
	}
	st, err := examples.WaitForEntity(ctx, c, id, valueIs(42))
	if err != nil {
		panic(err)
	}
	fmt.Println("state:", string(st.State))

	inst, err := c.Start(ctx, "CounterOrchestration", id.Key)
	if err != nil {
		panic(err)
	}
	done, err := c.WaitForCompletion(ctx, inst)
	if err != nil {
		panic(err)
	}
	fmt.Println("get:", string(done.Output))

	if err := c.SignalEntity(ctx, id, "reset", nil); err != nil {
		panic(err)
	}
	if st, err = examples.WaitForEntity(ctx, c, id, valueIs(0)); err != nil {
		panic(err)
	}
	fmt.Println("after reset:", string(st.State))

	if err := c.SignalEntity(ctx, id, "delete", nil); err != nil {
		panic(err)
	}
	gone := func(st *durable.EntityState) bool { return st == nil }
	if _, err := examples.WaitForEntity(ctx, c, id, gone); err != nil {
		panic(err)
	}
	_, err = c.Entity(ctx, id)
	fmt.Println("after delete:", errors.Is(err, durable.ErrEntityNotFound))
	// Output:
	// state: {"value":42}
	// get: 42
	// after reset: {"value":0}
	// after delete: true
}

// Two transfers between accounts: the second asks for more than the account holds and
// moves nothing.
func ExampleTransferFunds() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rt.Client()
	run := uniqueKey("run")
	alice, bob := "alice-"+run, "bob-"+run
	name := func(key string) string { return strings.TrimSuffix(key, "-"+run) }
	balance := func(key string, ok func(int) bool) int {
		var a examples.Account
		_, err := examples.WaitForEntity(ctx, c, examples.AccountID(key), func(st *durable.EntityState) bool {
			// Locks are released just after a transfer completes: wait for that too.
			return st != nil && st.LockedBy == "" && st.DecodeState(&a) == nil && ok(a.Balance)
		})
		if err != nil {
			panic(err)
		}
		return a.Balance
	}
	for key, amount := range map[string]int{alice: 100, bob: 20} {
		if err := c.SignalEntity(ctx, examples.AccountID(key), "deposit", amount); err != nil {
			panic(err)
		}
		balance(key, func(b int) bool { return b == amount })
	}

	for _, tr := range []examples.Transfer{{From: alice, To: bob, Amount: 30}, {From: bob, To: alice, Amount: 80}} {
		id, err := c.Start(ctx, "TransferFunds", tr)
		if err != nil {
			panic(err)
		}
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s -> %s %d: %v, moved %s\n", name(tr.From), name(tr.To), tr.Amount, st.RuntimeStatus, st.Output)
	}
	fmt.Printf("alice %d, bob %d\n", balance(alice, anyBalance), balance(bob, anyBalance))
	// Output:
	// alice -> bob 30: Completed, moved true
	// bob -> alice 80: Completed, moved false
	// alice 70, bob 50
}
