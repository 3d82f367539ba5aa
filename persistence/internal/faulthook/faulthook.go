// Package faulthook lets persistence/faultjournal step into badgerjournal's commit path
// without badgerjournal exporting anything for it: badgerjournal fills in the functions
// below when it is linked in, and only packages under persistence can import this one.
package faulthook

import "github.com/dgraph-io/badger/v4"

// Commit is one transaction of badgerjournal's committer, handed to a Func instead of
// being committed.
type Commit struct {
	// Instances are the ids of the appends the transaction holds, in commit order.
	Instances []string
	// Writes are the transaction's sets and deletes, in the order the journal issued
	// them. They alias the transaction's buffers: read them, do not keep or change them.
	Writes []Write
	// Apply commits the transaction, as the committer would have, and returns Badger's
	// verdict. A Func may call it at most once.
	Apply func() error
}

// Write is one set or delete of a transaction.
type Write struct {
	Key, Value []byte
	Delete     bool
}

// Func stands in for the commit of c: the committer takes what it returns as the
// outcome of the transaction, whether or not Apply was called.
type Func func(c *Commit) error

// Set by badgerjournal in its init; j is a *badgerjournal.Journal.
var (
	// Install hands every later commit of j to f; nil restores plain commits.
	Install func(j any, f Func)
	// DB returns the database of j.
	DB func(j any) *badger.DB
	// ValueKeys returns, as txn sees them, the keys whose values Load reads for
	// instance id: its row, and the payloads and history chunks the row points to.
	ValueKeys func(txn *badger.Txn, id string) ([][]byte, error)
)
