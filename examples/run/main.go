// Command run is the program behind `make run`: it opens the runtime on the embedded
// journal, registers the examples and runs every scenario end to end, raising the
// approval events itself and using short timeouts, then prints one line per instance,
// and drives the entity examples (Counter, SensorAggregator, the bank's Account).
// It exits non-zero if any scenario ends other than expected.
//
//	go run ./examples/run [-data ./data] [-v]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/examples"
)

func main() {
	dir := flag.String("data", "./data", "directory of the embedded journal")
	verbose := flag.Bool("v", false, "also print the runtime's and the activities' log records")
	flag.Parse()

	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
}

func run(dir string) (err error) {
	rt, err := durable.Open(durable.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, rt.Close()) }()
	if err := examples.Register(rt); err != nil {
		return err
	}
	if err := rt.Start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()

	all, withEntities := scenarios(), entityScenarios(runTag())
	failed := 0
	for _, s := range all {
		if !runScenario(ctx, rt.Client(), s) {
			failed++
		}
	}
	for _, s := range withEntities {
		if err := s(ctx, rt.Client()); err != nil {
			fmt.Printf("  FAILED: %v\n", err)
			failed++
		}
	}
	count := len(all) + len(withEntities)
	if failed > 0 {
		return fmt.Errorf("%d of %d scenarios did not end as expected", failed, count)
	}
	fmt.Printf("all %d scenarios ended as expected\n", count)
	return nil
}

// scenario is one end-to-end run: start drives the instance (raising events as a
// person would) and returns its id; want checks the finished instance.
type scenario struct {
	name  string
	start func(context.Context, *durable.Client) (string, error)
	want  func(*durable.Status) error
	// children, when set, lists child instances to print below the parent, which then
	// prints summary(st) instead of its whole output.
	children func(*durable.Status) []string
	summary  func(*durable.Status) string
}

func runScenario(ctx context.Context, c *durable.Client, s scenario) bool {
	id, err := s.start(ctx, c)
	if err != nil {
		printLine(s.name, id, "ERROR", err.Error())
		return false
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		printLine(s.name, id, "ERROR", err.Error())
		return false
	}
	if s.summary != nil && st.RuntimeStatus == durable.StatusCompleted {
		printLine(s.name, st.InstanceID, st.RuntimeStatus, s.summary(st))
	} else {
		printStatus(s.name, st)
	}
	ok := true
	if s.children != nil {
		for _, child := range s.children(st) {
			cst, err := c.Status(ctx, child)
			if err != nil {
				printLine("  child", child, "ERROR", err.Error())
				ok = false
				continue
			}
			printStatus("  "+cst.Name, cst)
			ok = ok && cst.RuntimeStatus == durable.StatusCompleted
		}
	}
	if err := s.want(st); err != nil {
		fmt.Printf("  FAILED: %v\n", err)
		return false
	}
	return ok
}

func printStatus(name string, st *durable.Status) {
	out := display(st.Output)
	if st.Failure != nil {
		out = st.Failure.Message
	}
	printLine(name, st.InstanceID, st.RuntimeStatus, out)
}

func printLine(name, id string, status any, text string) {
	fmt.Printf("%-50s id=%s  %v  %s\n", name, id, status, text)
}

// display shows an output for people: a string as its text, anything else as JSON
// without the escaping of <, > and & that encoding/json does for the sake of HTML.
func display(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
}
