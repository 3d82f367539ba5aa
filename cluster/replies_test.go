package cluster

import (
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

func TestRepliesDeliverAnswersDeadLettersAndTimeouts(t *testing.T) {
	system := actor.NewActorSystem()
	r := newReplies(system)
	echo := system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if s, ok := ctx.Message().(string); ok && s != "ignore" {
			ctx.Respond("re: " + s)
		}
	}))

	for _, q := range []string{"a", "b"} {
		got, err := r.ask(system.Root, echo, q, time.Minute)
		if err != nil || got != "re: "+q {
			t.Fatalf("ask %q = %v, %v", q, got, err)
		}
	}

	if _, err := r.ask(system.Root, echo, "ignore", 20*time.Millisecond); !errors.Is(err, actor.ErrTimeout) {
		t.Fatalf("unanswered ask: %v, want ErrTimeout", err)
	}

	if err := system.Root.StopFuture(echo).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ask(system.Root, echo, "anyone?", time.Minute); !errors.Is(err, actor.ErrDeadLetter) {
		t.Fatalf("ask to a stopped actor: %v, want ErrDeadLetter", err)
	}

	r.mu.Lock()
	left := len(r.waiting)
	r.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d requests still registered", left)
	}
}
