package examples_test

import (
	"fmt"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/examples"
)

func TestRecordSensorReadings(t *testing.T) {
	t.Parallel()
	// Halves and quarters add up exactly in floating point, so the summary can be
	// compared exactly.
	in := examples.SensorReadings{
		Sensor:   uniqueKey("greenhouse"),
		Readings: []float64{21.5, 19, 23.25, 18.5, 22, 20.75, 24, 19},
	}
	st := runToEnd(t, "RecordSensorReadings", in)
	want := examples.SensorSummary{Count: 8, Sum: 168, Min: 18.5, Max: 24, Mean: 21}
	if got := completed[examples.SensorSummary](t, st); got != want {
		t.Fatalf("summary %+v, want %+v", got, want)
	}
}

// Readings from several orchestrations and the client, with no order between them,
// all end up in the one aggregate.
func TestSensorAggregatorManySenders(t *testing.T) {
	t.Parallel()
	ctx, c := testCtx(t), rt.Client()
	const senders, each, fromClient = 4, 25, 10
	sensor := uniqueKey("boiler")
	id := entities.ID{Name: "SensorAggregator", Key: sensor}

	// Sender s sends s*100+1 … s*100+25; the client sends -1 … -10.
	var ids []string
	for s := range senders {
		in := examples.SensorReadings{Sensor: sensor}
		for i := 1; i <= each; i++ {
			in.Readings = append(in.Readings, float64(s*100+i))
		}
		inst, err := c.Start(ctx, "RecordSensorReadings", in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inst)
	}
	for i := 1; i <= fromClient; i++ {
		signal(t, id, "record", float64(-i))
	}

	for _, inst := range ids {
		st, err := c.WaitForCompletion(ctx, inst)
		if err != nil {
			t.Fatal(err)
		}
		// A sender's "get" comes after its own readings, whatever the others did.
		if got := completed[examples.SensorSummary](t, st); got.Count < each {
			t.Fatalf("%s saw %d readings, fewer than its own %d", inst, got.Count, each)
		}
	}

	total := senders*each + fromClient
	st := awaitEntity(t, id, fmt.Sprintf("%d readings", total), func(st *durable.EntityState) bool {
		var a examples.SensorAggregator
		return st != nil && st.DecodeState(&a) == nil && a.Count >= total
	})
	var got examples.SensorAggregator
	if err := st.DecodeState(&got); err != nil {
		t.Fatal(err)
	}
	sum := 0
	for s := range senders {
		sum += each*s*100 + each*(each+1)/2
	}
	sum -= fromClient * (fromClient + 1) / 2
	want := examples.SensorAggregator{Count: total, Sum: float64(sum), Min: -fromClient, Max: (senders-1)*100 + each}
	if got != want {
		t.Fatalf("aggregate %+v, want %+v", got, want)
	}
}
