package readme

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
)

// The README's first orchestration runs, in a directory of its own.
func TestGreetTheWorld(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := greetTheWorld(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := st.DecodeOutput(&out); err != nil || out != "Hello world" {
		t.Fatalf("Greet: %q, %v", out, err)
	}
	if _, err := os.Stat("data"); err != nil {
		t.Fatalf("the journal is not in ./data: %v", err)
	}
}

// The README's accounts: alice gets 100, a transfer of 30 moves it, one of 500 is
// refused and moves nothing.
func TestAccountsAndTransfer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt, err := durable.Open(durable.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if err := rt.RegisterOrchestrator("Transfer", Transfer); err != nil {
		t.Fatal(err)
	}
	if err := openAccount(ctx, rt); err != nil {
		t.Fatal(err)
	}
	c := rt.Client()
	for _, m := range []struct {
		move Move
		want bool
	}{{Move{"alice", "bob", 30}, true}, {Move{"alice", "bob", 500}, false}} {
		id, err := c.Start(ctx, "Transfer", m.move)
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.WaitForCompletion(ctx, id)
		var ok bool
		if err != nil || st.DecodeOutput(&ok) != nil || ok != m.want {
			t.Fatalf("Transfer %+v: %v %v, want %v", m.move, st, err, m.want)
		}
	}
	for key, want := range map[string]int{"alice": 70, "bob": 30} {
		e, err := c.Entity(ctx, entities.ID{Name: "Account", Key: key})
		var a Account
		if err != nil || json.Unmarshal(e.State, &a) != nil || a.Balance != want {
			t.Fatalf("%s: %+v %v, want balance %d", key, e, err, want)
		}
	}
}
