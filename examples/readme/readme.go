// Package readme holds the README's code, word for word, so that it compiles and its
// tests run it (readme_test.go at the repository's root checks every Go snippet of the
// README against the code of the repository).
package readme

import (
	"context"
	"fmt"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

func Greet(ctx *orchestrator.Context, name string) (string, error) {
	msg, err := orchestrator.CallActivity[string](ctx, "SayHello", name,
		orchestrator.WithRetry(orchestrator.RetryPolicy{MaxAttempts: 3})).Await()
	if err != nil {
		return "", err
	}
	return msg, nil
}

func SayHello(ctx context.Context, name string) (string, error) {
	return "Hello " + name, nil
}

func greetTheWorld(ctx context.Context) (*durable.Status, error) {
	rt, err := durable.Open(durable.Config{Dir: "./data"})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	rt.RegisterOrchestrator("Greet", Greet)
	rt.RegisterActivity("SayHello", SayHello)
	id, err := rt.Client().Start(ctx, "Greet", "world")
	if err != nil {
		return nil, err
	}
	return rt.Client().WaitForCompletion(ctx, id)
}

type Account struct{ Balance int }

func (a *Account) Deposit(n int) { a.Balance += n }
func (a *Account) Withdraw(n int) error {
	if n > a.Balance {
		return fmt.Errorf("insufficient funds: balance %d", a.Balance)
	}
	a.Balance -= n
	return nil
}

func openAccount(ctx context.Context, rt *durable.Runtime) error {
	if err := rt.RegisterEntity("Account", entities.Typed[Account]()); err != nil {
		return err
	}
	return rt.Client().SignalEntity(ctx, entities.ID{Name: "Account", Key: "alice"}, "Deposit", 100)
}

type Move struct {
	From, To string
	Amount   int
}

func Transfer(ctx *orchestrator.Context, m Move) (bool, error) {
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
