package examples_test

import (
	"context"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/examples"
)

func TestZZDebugBrokenProbe(t *testing.T) {
	for j := 0; j < 16; j++ {
		t.Run("p", func(t *testing.T) {
			t.Parallel()
			debugLoop(t)
		})
	}
}

func debugLoop(t *testing.T) {
	for i := 0; i < 50; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		id, err := rt.Client().Start(ctx, "MonitorExternalServiceOrchestrator", examples.MonitorInput{Service: "broken-probe", RemainingChecks: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = rt.Client().WaitForCompletion(ctx, id)
		cancel()
		if err != nil {
			st, err2 := rt.Client().Status(context.Background(), id, durable.WithHistory())
			t.Logf("iteration %d: %v; status %v %v", i, err, st, err2)
			if st != nil {
				t.Logf("status=%v custom=%s out=%s failure=%+v", st.RuntimeStatus, st.CustomStatus, st.Output, st.Failure)
				for _, e := range st.History {
					t.Logf("  %v id=%d tid=%d name=%s in=%s out=%s f=%+v", e.Type, e.ID, e.TaskID, e.Name, e.Input, e.Result, e.Failure)
				}
			}
			time.Sleep(2 * time.Second)
			st, _ = rt.Client().Status(context.Background(), id)
			t.Logf("2s later: %v", st.RuntimeStatus)
			t.FailNow()
		}
	}
}
