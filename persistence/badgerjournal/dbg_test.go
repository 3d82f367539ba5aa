package badgerjournal

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	c := m.Run()
	n := DbgN.Load()
	if n > 0 {
		fmt.Printf("commits %d: apply %v commit %v done %v between %v (per commit, µs)\n", n,
			DbgApply.Load()/n/1000, DbgCommit.Load()/n/1000, DbgDone.Load()/n/1000, DbgWait.Load()/n/1000)
	}
	os.Exit(c)
}
