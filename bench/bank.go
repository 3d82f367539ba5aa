package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

func init() { scenarios["bank"] = bank }

// Account is the bank scenario's entity.
type Account struct{ Balance int }

// Deposit adds n.
func (a *Account) Deposit(n int) { a.Balance += n }

// Withdraw takes n if the balance covers it.
func (a *Account) Withdraw(n int) error {
	if n > a.Balance {
		return fmt.Errorf("insufficient funds")
	}
	a.Balance -= n
	return nil
}

type move struct {
	From, To string
	Amount   int
}

// bank runs N transfers between random pairs of p.entities accounts, each locking its
// two accounts, and checks at the end that no money appeared or vanished.
func bank(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	if err := rt.RegisterEntity("Account", entities.Typed[Account]()); err != nil {
		return measure.Result{}, err
	}
	if err := rt.RegisterOrchestrator("Transfer", transferOrchestrator); err != nil {
		return measure.Result{}, err
	}
	if err := rt.Start(); err != nil {
		return measure.Result{}, err
	}
	c := rt.Client()
	k := max(p.entities, 2)
	const opening = 1000
	for i := 0; i < k; i++ {
		if err := c.SignalEntity(ctx, accountID(i), "Deposit", opening); err != nil {
			return measure.Result{}, err
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	moves := make([]move, p.n)
	for i := range moves {
		from := rng.IntN(k)
		to := (from + 1 + rng.IntN(k-1)) % k
		moves[i] = move{From: strconv.Itoa(from), To: strconv.Itoa(to), Amount: 1 + rng.IntN(100)}
	}
	lat, elapsed, err := runClosedLoop(ctx, p, func(ctx context.Context, i int) error {
		id, err := c.Start(ctx, "Transfer", moves[i])
		if err != nil {
			return err
		}
		st, err := c.WaitForCompletion(ctx, id)
		if err == nil && st.RuntimeStatus != durable.StatusCompleted {
			err = fmt.Errorf("transfer %s ended %s: %+v", id, st.RuntimeStatus, st.Failure)
		}
		return err
	})
	if err != nil {
		return measure.Result{}, err
	}
	total := 0
	for i := 0; i < k; i++ {
		st, err := c.Entity(ctx, accountID(i))
		if err != nil {
			return measure.Result{}, err
		}
		var a Account
		if err := st.DecodeState(&a); err != nil {
			return measure.Result{}, err
		}
		total += a.Balance
	}
	fmt.Printf("bank: %d accounts, total balance %d (opened with %d)\n", k, total, k*opening)
	if total != k*opening {
		return measure.Result{}, fmt.Errorf("total balance %d, want %d", total, k*opening)
	}
	p50, p99 := measure.Percentiles(lat)
	return measure.Result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(),
		Unit: "transactions", P50: p50, P99: p99}, nil
}

func accountID(i int) entities.ID { return entities.ID{Name: "Account", Key: strconv.Itoa(i)} }

func transferOrchestrator(ctx *orchestrator.Context, m move) (bool, error) {
	from, to := entities.ID{Name: "Account", Key: m.From}, entities.ID{Name: "Account", Key: m.To}
	cs, err := orchestrator.LockEntities(ctx, from, to)
	if err != nil {
		return false, err
	}
	defer cs.Release()
	if _, err := orchestrator.CallEntity[struct{}](ctx, from, "Withdraw", m.Amount).Await(); err != nil {
		return false, nil
	}
	_, err = orchestrator.CallEntity[struct{}](ctx, to, "Deposit", m.Amount).Await()
	return err == nil, err
}
