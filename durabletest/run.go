package durabletest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"

	"github.com/godurable/durable"
)

// Result is how an instance ended: its status, with its history, and its output.
type Result[Out any] struct {
	*durable.Status
	// Output is the instance's output decoded as an Out, when it completed. The
	// status's JSON output is Status.Output.
	Output Out
}

// Run starts orchestrator with input and waits, as Wait does, until the instance
// ends. orchestrator is the name of a registered orchestrator, or an orchestrator
// function, which Run registers under its Go name (package.Function). Mocks are
// registered again first, so they replace whatever was registered under their names.
func Run[Out any](ctx context.Context, rt *Runtime, orchestrator, input any, opts ...durable.StartOption) (*Result[Out], error) {
	name, err := rt.orchestratorName(orchestrator)
	if err != nil {
		return nil, err
	}
	rt.registerMocks()
	id, err := rt.Client().Start(ctx, name, input, opts...)
	if err != nil {
		return nil, fmt.Errorf("durabletest: start %q: %w", name, err)
	}
	return Wait[Out](ctx, rt, id)
}

// Wait waits until the instance id ends and returns its result. While it waits it
// skips time: whenever nothing in the runtime can go on except by a durable timer
// (no activity, sub-orchestration, entity call or message in flight, no timer due),
// it advances the clock to the next timer, so a timer set for a month fires at once.
// To move time by hand instead, wait with the Client and call Clock.Advance.
//
// The error is nil only when the instance completed; when it failed, was terminated
// or canceled, the error says so and the result tells how.
func Wait[Out any](ctx context.Context, rt *Runtime, id string) (*Result[Out], error) {
	st, err := rt.waitSkipping(ctx, id)
	if err != nil {
		return nil, err
	}
	res := &Result[Out]{Status: st}
	if st.RuntimeStatus != durable.StatusCompleted {
		return res, endedError(st)
	}
	if len(st.Output) > 0 {
		if err := json.Unmarshal(st.Output, &res.Output); err != nil {
			return res, fmt.Errorf("durabletest: the output of instance %q is not a %T: %w", id, res.Output, err)
		}
	}
	return res, nil
}

func endedError(st *durable.Status) error {
	why := ""
	switch {
	case st.Failure != nil:
		why = ": " + st.Failure.Message
	case len(st.Output) > 0:
		why = ": " + string(st.Output)
	}
	return fmt.Errorf("durabletest: instance %q (%s) ended %s%s", st.InstanceID, st.Name, st.RuntimeStatus, why)
}

// waitSkipping returns the status, with its history, of instance id once it ended.
func (rt *Runtime) waitSkipping(ctx context.Context, id string) (*durable.Status, error) {
	c := rt.Client()
	for {
		changed := rt.journal.next()
		st, err := c.Status(ctx, id, durable.WithHistory())
		if err != nil {
			return nil, fmt.Errorf("durabletest: wait for instance %q: %w", id, err)
		}
		if st.RuntimeStatus.IsTerminal() {
			return st, nil
		}
		skipped, err := rt.skipTime(ctx)
		if err != nil {
			return nil, fmt.Errorf("durabletest: wait for instance %q: %w", id, err)
		}
		if skipped {
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("durabletest: instance %q still %s: %w", id, st.RuntimeStatus, ctx.Err())
		}
	}
}

// orchestratorName returns the name to start orchestrator under, registering it first
// when it is a function.
func (rt *Runtime) orchestratorName(orchestrator any) (string, error) {
	switch o := orchestrator.(type) {
	case string:
		if o == "" {
			return "", errors.New("durabletest: the orchestrator name is empty")
		}
		return o, nil
	case nil:
		return "", errors.New("durabletest: no orchestrator: pass a registered name or an orchestrator function")
	}
	v := reflect.ValueOf(orchestrator)
	if v.Kind() != reflect.Func {
		return "", fmt.Errorf("durabletest: the orchestrator is a %T: pass a registered name or an orchestrator function", orchestrator)
	}
	name := runtime.FuncForPC(v.Pointer()).Name()
	name = name[strings.LastIndex(name, "/")+1:]
	if err := rt.RegisterOrchestrator(name, orchestrator); err != nil {
		return "", fmt.Errorf("durabletest: %w", err)
	}
	return name, nil
}
