package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/examples"
)

// entityScenario drives entities, and the orchestrations that use them, end to end.
// Entities have no single instance to print, so it prints its own lines, and returns
// why the outcome was not the expected one.
type entityScenario func(ctx context.Context, c *durable.Client) error

// entityScenarios are keyed by tag: entities live as long as the journal, so keys of
// their own keep one run's counters and accounts apart from an earlier run's.
func entityScenarios(tag string) []entityScenario {
	return []entityScenario{
		func(ctx context.Context, c *durable.Client) error { return counter(ctx, c, "lobby-"+tag) },
		func(ctx context.Context, c *durable.Client) error { return aggregator(ctx, c, "greenhouse-"+tag) },
		func(ctx context.Context, c *durable.Client) error { return bank(ctx, c, tag) },
	}
}

// runTag is a key suffix no earlier run on the same journal used.
func runTag() string { return fmt.Sprintf("%x", time.Now().UnixMilli()) }

// counter signals a Counter from the client, reads it through CounterOrchestration's
// "get", resets and deletes it.
func counter(ctx context.Context, c *durable.Client, key string) error {
	id := entities.ID{Name: "Counter", Key: key}
	valueIs := func(want int) func(*durable.EntityState) bool {
		return func(st *durable.EntityState) bool {
			var n examples.Counter
			return st != nil && st.DecodeState(&n) == nil && n.Value == want
		}
	}
	st, err := signalAndWait(ctx, c, id, valueIs(42), op{"add", 5}, op{"add", 7}, op{"add", 30})
	if err != nil {
		return err
	}
	printLine("Counter (add 5, add 7, add 30)", id.String(), "Signaled", string(st.State))

	// Only an orchestration can call "get" and wait for the answer.
	inst, err := runInstance(ctx, c, "CounterOrchestration", key)
	if err != nil {
		return err
	}
	printStatus("CounterOrchestration (get)", inst)
	if err := output(42)(inst); err != nil {
		return err
	}

	if st, err = signalAndWait(ctx, c, id, valueIs(0), op{"reset", nil}); err != nil {
		return err
	}
	printLine("Counter (reset)", id.String(), "Signaled", string(st.State))

	gone := func(st *durable.EntityState) bool { return st == nil }
	if _, err := signalAndWait(ctx, c, id, gone, op{"delete", nil}); err != nil {
		return err
	}
	printLine("Counter (delete)", id.String(), "Signaled", "no such entity any more")
	return nil
}

// aggregator feeds a day of greenhouse readings to a SensorAggregator through
// RecordSensorReadings, which signals them and calls "get".
func aggregator(ctx context.Context, c *durable.Client, sensor string) error {
	in := examples.SensorReadings{Sensor: sensor, Readings: []float64{21.5, 19, 23.25, 18.5, 22, 20.75, 24, 19}}
	st, err := runInstance(ctx, c, "RecordSensorReadings", in)
	if err != nil {
		return err
	}
	printStatus(fmt.Sprintf("RecordSensorReadings (%d readings)", len(in.Readings)), st)
	return output(examples.SensorSummary{Count: 8, Sum: 168, Min: 18.5, Max: 24, Mean: 21})(st)
}

// bank opens three accounts, runs a few transfers one after the other, whose outcomes
// are known, then a burst of concurrent ones, and checks that no money was made or
// lost and no account was overdrawn.
func bank(ctx context.Context, c *durable.Client, tag string) error {
	names := []string{"alice", "bob", "carol"}
	opening := map[string]int{"alice": 100, "bob": 50, "carol": 0}
	key := func(name string) string { return name + "-" + tag }
	opened := 0
	for _, n := range names {
		if opening[n] == 0 {
			continue // an account exists from its first operation, whatever it is
		}
		want := opening[n]
		if _, err := signalAndWait(ctx, c, examples.AccountID(key(n)), balanceIs(want), op{"deposit", want}); err != nil {
			return err
		}
		opened += want
	}
	printNote("Account (open)", fmt.Sprintf("alice 100, bob 50, carol 0 (keys end in -%s)", tag))

	for _, t := range []struct {
		from, to string
		amount   int
		moved    bool
	}{
		{"alice", "bob", 30, true},
		{"bob", "carol", 100, false},
		{"bob", "carol", 80, true},
		{"carol", "alice", 5, true},
	} {
		st, err := runInstance(ctx, c, "TransferFunds", examples.Transfer{From: key(t.from), To: key(t.to), Amount: t.amount})
		if err != nil {
			return err
		}
		printStatus(fmt.Sprintf("TransferFunds (%s -> %s, %d)", t.from, t.to, t.amount), st)
		if err := output(t.moved)(st); err != nil {
			return err
		}
	}
	if err := concurrentTransfers(ctx, c, names, key); err != nil {
		return err
	}
	return checkBalances(ctx, c, names, key, opened)
}

// concurrentTransfers runs transfers between random pairs at once; which of them find
// enough money depends on the order they get the locks in.
func concurrentTransfers(ctx context.Context, c *durable.Client, names []string, key func(string) string) error {
	const n = 20
	rng := rand.New(rand.NewPCG(7, 11))
	ids := make([]string, n)
	for i := range ids {
		from := rng.IntN(len(names))
		to := (from + 1 + rng.IntN(len(names)-1)) % len(names)
		t := examples.Transfer{From: key(names[from]), To: key(names[to]), Amount: 1 + rng.IntN(60)}
		id, err := c.Start(ctx, "TransferFunds", t)
		if err != nil {
			return err
		}
		ids[i] = id
	}
	moved := 0
	for _, id := range ids {
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil {
			return err
		}
		if st.RuntimeStatus != durable.StatusCompleted {
			return fmt.Errorf("transfer %s is %v: %v", id, st.RuntimeStatus, st.Failure)
		}
		if string(st.Output) == "true" {
			moved++
		}
	}
	printNote(fmt.Sprintf("TransferFunds x%d (concurrent, random)", n),
		fmt.Sprintf("%d moved money, %d found too little", moved, n-moved))
	return nil
}

// checkBalances prints the final balances once every lock is released and checks the
// invariant of the bank.
func checkBalances(ctx context.Context, c *durable.Client, names []string, key func(string) string, opened int) error {
	total, parts, overdrawn := 0, make([]string, len(names)), false
	for i, n := range names {
		// Locks are released by messages sent after a transfer's last step.
		st, err := awaitState(ctx, c, examples.AccountID(key(n)), func(st *durable.EntityState) bool {
			return st != nil && st.LockedBy == ""
		})
		if err != nil {
			return err
		}
		var a examples.Account
		if err := st.DecodeState(&a); err != nil {
			return err
		}
		total += a.Balance
		overdrawn = overdrawn || a.Balance < 0
		parts[i] = fmt.Sprintf("%s %d", n, a.Balance)
	}
	printNote("Account (balances)", fmt.Sprintf("%s; total %d, opened with %d; none overdrawn: %v; all unlocked",
		strings.Join(parts, ", "), total, opened, !overdrawn))
	if total != opened || overdrawn {
		return fmt.Errorf("the bank's invariant does not hold")
	}
	return nil
}

func balanceIs(want int) func(*durable.EntityState) bool {
	return func(st *durable.EntityState) bool {
		var a examples.Account
		return st != nil && st.DecodeState(&a) == nil && a.Balance == want
	}
}

// op is an entity operation and its input.
type op struct {
	name  string
	input any
}

// signalAndWait sends the signals in order and waits for the state they lead to: a
// signal is one-way, so its effect is the only news of it.
func signalAndWait(ctx context.Context, c *durable.Client, id entities.ID, done func(*durable.EntityState) bool, ops ...op) (*durable.EntityState, error) {
	for _, o := range ops {
		if err := c.SignalEntity(ctx, id, o.name, o.input); err != nil {
			return nil, fmt.Errorf("signal %s %s: %w", id, o.name, err)
		}
	}
	return awaitState(ctx, c, id, done)
}

// awaitState waits a few seconds at most, so one stuck entity does not use up the
// time of the scenarios after it.
func awaitState(ctx context.Context, c *durable.Client, id entities.ID, done func(*durable.EntityState) bool) (*durable.EntityState, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return examples.WaitForEntity(ctx, c, id, done)
}

func runInstance(ctx context.Context, c *durable.Client, name string, input any) (*durable.Status, error) {
	id, err := c.Start(ctx, name, input)
	if err != nil {
		return nil, err
	}
	return c.WaitForCompletion(ctx, id)
}

// printNote prints a line about entities rather than one instance, aligned with the
// instance lines.
func printNote(name, text string) { fmt.Printf("%-50s %s\n", name, text) }
