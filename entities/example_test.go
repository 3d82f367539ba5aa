package entities_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/godurable/durable/entities"
)

// Counter is a typed entity: its state is the struct, its operations the methods.
type Counter struct{ Value int }

func (c *Counter) Add(n int) { c.Value += n }
func (c *Counter) Reset()    { c.Value = 0 }
func (c *Counter) Get() int  { return c.Value }
func (c *Counter) Delete(ctx *entities.Context) {
	ctx.Logger().Debug("counter deleted", "value", c.Value)
	ctx.DeleteState()
}

// AddChecked refuses negative amounts; the refusal rolls the operation back.
func (c *Counter) AddChecked(ctx *entities.Context, n int) error {
	if n < 0 {
		return fmt.Errorf("negative amount %d", n)
	}
	c.Value += n
	if c.Value >= 100 {
		return ctx.SignalEntity(entities.ID{Name: "Alarm", Key: ctx.ID().Key}, "Raise", c.Value)
	}
	return nil
}

func ExampleTyped() {
	counter := entities.Typed[Counter]()
	id := entities.ID{Name: "Counter", Key: "alice"}
	state, results := entities.Apply(id, counter, nil, []entities.Operation{
		{Name: "Add", Input: []byte("5")},
		{Name: "addchecked", Input: []byte("-3")}, // fails, changes nothing
		{Name: "AddChecked", Input: []byte("95")}, // reaches 100: signals the alarm
		{Name: "Get"},
	}, time.Now())

	fmt.Println("state:", string(state))
	for _, r := range results {
		switch {
		case r.Failure != nil:
			fmt.Println("failed:", r.Failure.Message)
		case len(r.Signals) > 0:
			s := r.Signals[0]
			fmt.Println("signal:", s.Target, s.Operation, string(s.Input))
		case r.Output == nil:
			fmt.Println("ok")
		default:
			fmt.Println("ok:", string(r.Output))
		}
	}

	state, _ = entities.Apply(id, counter, state, []entities.Operation{{Name: "Delete"}}, time.Now())
	fmt.Println("after delete:", state == nil)
	// Output:
	// state: {"Value":100}
	// ok
	// failed: entity @counter@alice operation addchecked: negative amount -3
	// signal: @alarm@alice Raise 100
	// ok: 100
	// after delete: true
}

// inventory is a function entity: it switches on the operation itself.
func inventory(ctx *entities.Context) error {
	stock := map[string]int{}
	if err := ctx.GetState(&stock); err != nil {
		return err
	}
	var item string
	if err := ctx.Input(&item); err != nil {
		return err
	}
	switch strings.ToLower(ctx.Operation()) {
	case "restock":
		stock[item] += 10
	case "take":
		if stock[item] == 0 {
			return fmt.Errorf("out of %s", item)
		}
		stock[item]--
		if stock[item] == 0 {
			if _, err := ctx.StartOrchestration("Reorder", item, entities.WithInstanceID("reorder-"+item)); err != nil {
				return err
			}
		}
	case "count":
		return ctx.Return(stock[item])
	default:
		// For "delete", this lets Apply delete the state.
		return &entities.UnknownOperationError{Entity: ctx.ID(), Operation: ctx.Operation()}
	}
	return ctx.SetState(stock)
}

func ExampleApply() {
	id := entities.ID{Name: "Inventory", Key: "shop-1"}
	ops := []entities.Operation{
		{Name: "take", Input: []byte(`"apple"`)},
		{Name: "restock", Input: []byte(`"pear"`)},
		{Name: "count", Input: []byte(`"pear"`)},
		{Name: "frobnicate"},
	}
	state, results := entities.Apply(id, inventory, []byte(`{"apple":1}`), ops, time.Now())
	fmt.Println("state:", string(state))
	for i, r := range results {
		if r.Failure != nil {
			fmt.Printf("%s: failed: %s\n", ops[i].Name, r.Failure.Message)
			continue
		}
		line := ops[i].Name + ": ok"
		if r.Output != nil {
			line += " " + string(r.Output)
		}
		for _, s := range r.Starts {
			line += fmt.Sprintf(", starts %s(%s) as %s", s.Name, s.Input, s.InstanceID)
		}
		fmt.Println(line)
	}

	state, _ = entities.Apply(id, inventory, state, []entities.Operation{{Name: "delete"}}, time.Now())
	fmt.Println("after delete:", state == nil)
	// Output:
	// state: {"apple":0,"pear":10}
	// take: ok, starts Reorder("apple") as reorder-apple
	// restock: ok
	// count: ok 10
	// frobnicate: failed: entity @inventory@shop-1 has no operation "frobnicate"
	// after delete: true
}
