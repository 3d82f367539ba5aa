package durable_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

// story keeps the shared runtime's log records for tests to read, and passes warnings
// and errors on to stderr.
var story = &storyHandler{out: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})}

type storyRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

type storyHandler struct {
	out   slog.Handler
	attrs []slog.Attr
	mu    *sync.Mutex
	recs  *[]storyRecord
}

func init() {
	story.mu, story.recs = &sync.Mutex{}, &[]storyRecord{}
}

func (h *storyHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *storyHandler) Handle(ctx context.Context, r slog.Record) error {
	rec := storyRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	*h.recs = append(*h.recs, rec)
	h.mu.Unlock()
	if h.out.Enabled(ctx, r.Level) {
		return h.out.WithAttrs(h.attrs).Handle(ctx, r)
	}
	return nil
}

func (h *storyHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(slices.Clip(h.attrs), as...)
	return &c
}

func (h *storyHandler) WithGroup(string) slog.Handler { return h }

// of returns the records whose key attribute is value.
func (h *storyHandler) of(key, value string) []storyRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []storyRecord
	for _, r := range *h.recs {
		if r.attrs[key] == value {
			out = append(out, r)
		}
	}
	return out
}

func init() {
	extraRegistrations = append(extraRegistrations, func(rt *durable.Runtime) {
		must(rt.RegisterActivity("Charge", func(ctx context.Context, amount int) (int, error) {
			durable.ActivityLogger(ctx).Info("charging", "amount", amount)
			return amount, nil
		}))
		flaky := map[string]int{}
		var mu sync.Mutex
		must(rt.RegisterActivity("StoryFlaky", func(ctx context.Context, key string) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			if flaky[key]++; flaky[key] == 1 {
				return "", errors.New("first try fails")
			}
			return "ok", nil
		}))
		must(rt.RegisterOrchestrator("StoryOrder", func(ctx *orchestrator.Context, key string) (int, error) {
			ctx.Logger().Info("order received")
			if _, err := orchestrator.CallActivity[string](ctx, "StoryFlaky", key,
				orchestrator.WithRetry(orchestrator.RetryPolicy{MaxAttempts: 2, FirstInterval: time.Millisecond})).Await(); err != nil {
				return 0, err
			}
			if _, err := orchestrator.WaitForExternalEvent[bool](ctx, "go").Await(); err != nil {
				return 0, err
			}
			return orchestrator.CallActivity[int](ctx, "Charge", 42).Await()
		}))
	})
}

var stories atomic.Int64

// The runtime tells an instance's life at Info (start, suspend, resume, completion,
// failure, termination, rewind) and failed entity operations and retries at Warn, each
// record placing itself with instance id, name and execution id; activity and
// orchestration loggers carry the same.
func TestLogsTellTheStory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := rt.Client()
	run := stories.Add(1)
	name := func(s string) string { return fmt.Sprintf("%s-%d", s, run) }
	id, err := c.Start(ctx, "StoryOrder", name("story-1"), durable.WithInstanceID(name("story-1")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	must(c.Suspend(ctx, id, "lunch"))
	must(c.Resume(ctx, id, "back"))
	must(c.RaiseEvent(ctx, id, "go", true))
	if st, err := c.WaitForCompletion(ctx, id); err != nil || st.RuntimeStatus != durable.StatusCompleted {
		t.Fatalf("StoryOrder: %+v, %v", st, err)
	}

	ended, err := c.Start(ctx, "WaitApproval", nil, durable.WithInstanceID(name("story-2")))
	must(err)
	if _, err := c.WaitForStart(ctx, ended); err != nil {
		t.Fatal(err)
	}
	must(c.Terminate(ctx, ended, "nobody came"))
	if _, err := c.WaitForCompletion(ctx, ended); err != nil {
		t.Fatal(err)
	}
	failed, err := c.Start(ctx, "FailPlain", nil, durable.WithInstanceID(name("story-3")))
	must(err)
	if _, err := c.WaitForCompletion(ctx, failed); err != nil {
		t.Fatal(err)
	}
	must(c.SignalEntity(ctx, entities.ID{Name: "Account", Key: name("story")}, "Withdraw", 5))

	told := func(id string) (msgs []string, recs []storyRecord) {
		for _, r := range story.of("instanceId", id) {
			msgs, recs = append(msgs, r.msg), append(recs, r)
		}
		return msgs, recs
	}
	msgs, recs := told(name("story-1"))
	// The code runs in the first turn; the start is told once that turn is durable. The
	// retry comes when the activity fails, before or after the suspension.
	retry := "activity failed; retrying"
	want := []string{"order received", "orchestration started", "orchestration suspended",
		"orchestration resumed", "charging", "orchestration completed"}
	if got := slices.DeleteFunc(slices.Clone(msgs), func(m string) bool { return m == retry }); fmt.Sprint(got) != fmt.Sprint(want) ||
		len(got) != len(msgs)-1 {
		t.Errorf("story-1 told %q, want %q and one retry", msgs, want)
	}
	for _, r := range recs {
		if r.attrs["executionId"] == "" || r.attrs["name"] == "" && r.attrs["activity"] == "" {
			t.Errorf("%q does not place itself: %v", r.msg, r.attrs)
		}
		if r.msg == "activity failed; retrying" && (r.level != slog.LevelWarn || r.attrs["task"] != "StoryFlaky" || !strings.HasSuffix(r.attrs["error"], "first try fails")) {
			t.Errorf("the retry: %v %v", r.level, r.attrs)
		}
		if r.msg == "charging" && (r.attrs["activity"] != "Charge" || r.attrs["amount"] != "42") {
			t.Errorf("the activity's record: %v", r.attrs)
		}
	}
	if msgs, recs := told(name("story-2")); len(msgs) != 2 || msgs[1] != "orchestration terminated" || recs[1].attrs["reason"] != `"nobody came"` {
		t.Errorf("story-2 told %q (%v)", msgs, recs)
	}
	if msgs, recs := told(name("story-3")); len(msgs) != 2 || msgs[1] != "orchestration failed" || recs[1].attrs["error"] != "nope" ||
		recs[1].attrs["errorType"] != "Error" || recs[1].attrs["name"] != "FailPlain" {
		t.Errorf("story-3 told %q (%v)", msgs, recs)
	}
	waitFor(t, ctx, func() bool { return len(story.of("entity", "@account@"+name("story"))) > 0 })
	entity := story.of("entity", "@account@"+name("story"))
	if len(entity) != 1 || entity[0].level != slog.LevelWarn || entity[0].msg != "entity operation failed" ||
		entity[0].attrs["operation"] != "Withdraw" {
		t.Errorf("the failed entity operation told %v", entity)
	}
}
