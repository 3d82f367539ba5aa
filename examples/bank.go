package examples

import (
	"errors"
	"fmt"

	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

// Account is a bank account, registered as the entity "Account" and keyed by account
// name. Its operations are "deposit", "withdraw", "get" and the built-in "delete";
// amounts are whole units, so balances add up exactly. An operation that fails
// changes nothing, which is how Withdraw keeps the balance from going negative.
type Account struct {
	Balance int `json:"balance"`
}

// InsufficientFundsError is the failure of a withdrawal larger than the balance.
type InsufficientFundsError struct {
	Balance, Amount int
}

func (e *InsufficientFundsError) Error() string {
	return fmt.Sprintf("insufficient funds: balance %d, cannot withdraw %d", e.Balance, e.Amount)
}

// Deposit adds amount to the balance.
func (a *Account) Deposit(amount int) error {
	if amount <= 0 {
		return fmt.Errorf("deposit of %d: amounts must be positive", amount)
	}
	a.Balance += amount
	return nil
}

// Withdraw takes amount from the balance, or fails with *InsufficientFundsError when
// the balance is smaller.
func (a *Account) Withdraw(amount int) error {
	if amount <= 0 {
		return fmt.Errorf("withdrawal of %d: amounts must be positive", amount)
	}
	if amount > a.Balance {
		return &InsufficientFundsError{Balance: a.Balance, Amount: amount}
	}
	a.Balance -= amount
	return nil
}

// Get returns the balance.
func (a *Account) Get() int { return a.Balance }

// Transfer is the input of TransferFunds: move Amount from the account From to the
// account To.
type Transfer struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Amount int    `json:"amount"`
}

// AccountID is the entity id of the account named key.
func AccountID(key string) entities.ID { return entities.ID{Name: "Account", Key: key} }

// TransferFunds is the Durable Functions critical-section example: it moves money
// between two Account entities and returns whether it did; a transfer larger than the
// source's balance moves nothing and returns false.
//
// Each account runs its own operations one at a time, but a transfer is two
// operations on two entities, and another transfer's operations could run between
// them. Locking both accounts first makes the pair atomic as far as other operations
// are concerned: while the lock is held every other operation on them, from a client,
// an orchestration or another transfer, waits. LockEntities takes the locks in one
// global order, so transfers in opposite directions cannot deadlock. A client reading
// the accounts meanwhile still sees their last committed state, which may be between
// the two steps.
func TransferFunds(ctx *orchestrator.Context, t Transfer) (bool, error) {
	if t.Amount <= 0 {
		return false, fmt.Errorf("transfer of %d: amounts must be positive", t.Amount)
	}
	if t.From == t.To {
		return false, fmt.Errorf("transfer from %q to itself", t.From)
	}
	from, to := AccountID(t.From), AccountID(t.To)
	cs, err := orchestrator.LockEntities(ctx, from, to)
	if err != nil {
		return false, err
	}
	// The runtime would release the locks when the orchestration ends anyway; the
	// defer releases them as soon as the transfer is done, on every path.
	defer cs.Release()

	if _, err := orchestrator.CallEntity[struct{}](ctx, from, "withdraw", t.Amount).Await(); err != nil {
		if IsInsufficientFunds(err) {
			return false, nil // the failed withdrawal changed nothing
		}
		return false, err
	}
	if _, err := orchestrator.CallEntity[struct{}](ctx, to, "deposit", t.Amount).Await(); err != nil {
		// Still holding both locks, no other operation has seen the money missing:
		// putting it back undoes the transfer completely.
		if _, undo := orchestrator.CallEntity[struct{}](ctx, from, "deposit", t.Amount).Await(); undo != nil {
			return false, errors.Join(err, fmt.Errorf("refund %q: %w", t.From, undo))
		}
		return false, err
	}
	return true, nil
}

// insufficientFunds is the type name an *InsufficientFundsError is recorded under
// when it crosses from the entity to the orchestration as a failure description.
var insufficientFunds = fmt.Sprintf("%T", (*InsufficientFundsError)(nil))

// IsInsufficientFunds reports whether err, from an orchestration's call to an Account,
// is a refused withdrawal. The entity's error reaches the orchestration through its
// history, as a *orchestrator.TaskFailedError naming the original error's type, so
// errors.As to *InsufficientFundsError cannot see it; the type name can.
func IsInsufficientFunds(err error) bool {
	var tf *orchestrator.TaskFailedError
	return errors.As(err, &tf) && tf.ErrorType() == insufficientFunds
}
