package badgerjournal

import (
	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence/internal/faulthook"
)

// The fault hook lets persistence/faultjournal commit in the committer's place, to
// fail, half-apply or damage a chosen transaction. It is reached only through the
// internal faulthook package, so it is no part of this package's API. Unset, it costs
// the committer one atomic load per transaction and a predictable branch per key.
func init() {
	faulthook.Install = func(j any, f faulthook.Func) {
		if f == nil {
			j.(*Journal).hook.Store(nil)
			return
		}
		j.(*Journal).hook.Store(&f)
	}
	faulthook.DB = func(j any) *badger.DB { return j.(*Journal).db }
	faulthook.ValueKeys = valueKeys
}

// valueKeys returns the keys whose values Load reads for instance id.
func valueKeys(txn *badger.Txn, id string) ([][]byte, error) {
	st, err := mustReadRow(txn, id)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{rowKey(id)}
	if st.flags&flagInputExternal != 0 {
		keys = append(keys, inputKey(id))
	}
	if st.flags&flagOutputExternal != 0 {
		keys = append(keys, outputKey(id))
	}
	if st.flags&flagHistorySpilled != 0 {
		keys = append(keys, keysWithPrefix(txn, idPrefix(historyTag, id))...)
	}
	return keys, nil
}
