package examples_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/examples"
)

// openAccount deposits amount into a new account and waits until it shows.
func openAccount(t *testing.T, key string, amount int) {
	t.Helper()
	signal(t, examples.AccountID(key), "deposit", amount)
	awaitBalance(t, key, func(b int) bool { return b == amount })
}

// awaitBalance waits until the account is unlocked and its balance satisfies ok, and
// returns the balance. Locks are released by messages sent after a transfer's last
// step, so a transfer can be complete while its accounts are still locked.
func awaitBalance(t *testing.T, key string, ok func(int) bool) int {
	t.Helper()
	var a examples.Account
	awaitEntity(t, examples.AccountID(key), "account "+key, func(st *durable.EntityState) bool {
		return st != nil && st.LockedBy == "" && st.DecodeState(&a) == nil && ok(a.Balance)
	})
	return a.Balance
}

func anyBalance(int) bool { return true }

func TestAccount(t *testing.T) {
	t.Parallel()
	id := entities.ID{Name: "Account", Key: "acct"}
	account := entities.Typed[examples.Account]()
	state, results := entities.Apply(id, account, nil, []entities.Operation{
		{Name: "deposit", Input: []byte("10")},
		{Name: "withdraw", Input: []byte("50")},
		{Name: "deposit", Input: []byte("-5")},
		{Name: "get"},
	}, time.Now())
	if string(state) != `{"balance":10}` {
		t.Fatalf("state %s", state)
	}
	if f := results[1].Failure; f == nil || f.ErrorType != "*examples.InsufficientFundsError" ||
		!strings.HasSuffix(f.Message, "insufficient funds: balance 10, cannot withdraw 50") {
		t.Fatalf("withdraw: %+v", f)
	}
	if f := results[2].Failure; f == nil || !strings.Contains(f.Message, "amounts must be positive") {
		t.Fatalf("negative deposit: %+v", f)
	}
	if string(results[3].Output) != "10" {
		t.Fatalf("get: %s", results[3].Output)
	}
}

func TestTransferFunds(t *testing.T) {
	t.Parallel()
	a, b := uniqueKey("alice"), uniqueKey("bob")
	openAccount(t, a, 100)
	tests := []struct {
		name     string
		transfer examples.Transfer
		status   durable.RuntimeStatus
		moved    bool
		failure  string
	}{
		{"moves money", examples.Transfer{From: a, To: b, Amount: 30}, durable.StatusCompleted, true, ""},
		{"insufficient funds", examples.Transfer{From: b, To: a, Amount: 31}, durable.StatusCompleted, false, ""},
		{"all of it", examples.Transfer{From: b, To: a, Amount: 30}, durable.StatusCompleted, true, ""},
		{"zero amount", examples.Transfer{From: a, To: b, Amount: 0}, durable.StatusFailed, false, "amounts must be positive"},
		{"to itself", examples.Transfer{From: a, To: a, Amount: 1}, durable.StatusFailed, false, "to itself"},
		{"bad account", examples.Transfer{From: a, To: "x/y", Amount: 1}, durable.StatusFailed, false, "x/y"},
	}
	for _, tt := range tests {
		st := runToEnd(t, "TransferFunds", tt.transfer)
		if st.RuntimeStatus != tt.status {
			t.Fatalf("%s: %v, want %v; failure %+v", tt.name, st.RuntimeStatus, tt.status, st.Failure)
		}
		if tt.status == durable.StatusFailed {
			if !strings.Contains(st.Failure.Message, tt.failure) {
				t.Fatalf("%s: failure %q, want it to mention %q", tt.name, st.Failure.Message, tt.failure)
			}
			continue
		}
		if moved := completed[bool](t, st); moved != tt.moved {
			t.Fatalf("%s: moved %v, want %v", tt.name, moved, tt.moved)
		}
	}
	if got := awaitBalance(t, a, anyBalance); got != 100 {
		t.Fatalf("%s has %d, want 100", a, got)
	}
	if got := awaitBalance(t, b, anyBalance); got != 0 {
		t.Fatalf("%s has %d, want 0", b, got)
	}
}

// Concurrent transfers between random pairs of accounts, many of them too large,
// neither create nor destroy money and never overdraw an account.
func TestConcurrentTransfersKeepTotal(t *testing.T) {
	t.Parallel()
	ctx, c := testCtx(t), rt.Client()
	const accounts, opening, transfers = 8, 100, 200
	bank := uniqueKey("bank")
	keys := make([]string, accounts)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%d", bank, i)
		openAccount(t, keys[i], opening)
	}

	rng := rand.New(rand.NewPCG(2022, 1))
	ids := make([]string, transfers)
	for i := range ids {
		from := rng.IntN(accounts)
		to := (from + 1 + rng.IntN(accounts-1)) % accounts
		amount := 1 + rng.IntN(150)
		if i%50 == 0 {
			amount = accounts*opening + 1 // more than the whole bank holds: always refused
		}
		id, err := c.Start(ctx, "TransferFunds", examples.Transfer{From: keys[from], To: keys[to], Amount: amount})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}

	moved := 0
	for _, id := range ids {
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil {
			logInstance(t, id)
			t.Fatal(err)
		}
		if completed[bool](t, st) {
			moved++
		}
	}
	t.Logf("%d of %d transfers moved money", moved, transfers)
	if moved == 0 || moved > transfers-transfers/50 {
		t.Errorf("%d transfers moved money: want some, and none of the %d impossible ones", moved, transfers/50)
	}

	total := 0
	for _, key := range keys {
		b := awaitBalance(t, key, anyBalance)
		if b < 0 {
			t.Errorf("account %s is overdrawn: %d", key, b)
		}
		total += b
	}
	if total != accounts*opening {
		t.Fatalf("the accounts hold %d in total, want %d", total, accounts*opening)
	}
}
