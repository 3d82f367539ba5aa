package examples

import (
	"fmt"

	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

// SensorAggregator is the Durable Functions "aggregator" pattern, registered as the
// entity "SensorAggregator": readings of one sensor (the entity key) arrive as signals
// from anywhere, in any order and at any rate, and the entity folds them into a
// running summary. Nothing else has to coordinate the senders: the entity runs one
// operation at a time, so no reading is lost to a race, and because count, sum, min
// and max do not depend on the order readings arrive in, the lack of ordering between
// senders does not matter either.
//
// Operations: "record" with a reading, "get" returning a SensorSummary, and the
// built-in "delete".
type SensorAggregator struct {
	Count int     `json:"count"`
	Sum   float64 `json:"sum"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

// SensorSummary is what "get" returns: the aggregate so far and the mean it implies.
type SensorSummary struct {
	Count int     `json:"count"`
	Sum   float64 `json:"sum"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// Record adds one reading to the aggregate.
func (a *SensorAggregator) Record(value float64) {
	// Min and Max of no readings are meaningless, so the first reading sets both
	// rather than being compared with zero.
	if a.Count == 0 || value < a.Min {
		a.Min = value
	}
	if a.Count == 0 || value > a.Max {
		a.Max = value
	}
	a.Count++
	a.Sum += value
}

// Get returns the summary of the readings recorded so far.
func (a *SensorAggregator) Get() SensorSummary {
	s := SensorSummary{Count: a.Count, Sum: a.Sum, Min: a.Min, Max: a.Max}
	if a.Count > 0 {
		s.Mean = a.Sum / float64(a.Count)
	}
	return s
}

// SensorReadings is the input of RecordSensorReadings: a batch of readings of one sensor.
type SensorReadings struct {
	Sensor   string    `json:"sensor"`
	Readings []float64 `json:"readings"`
}

// RecordSensorReadings feeds a batch of readings to the sensor's SensorAggregator and
// returns the summary once they are in. The readings go out as signals, one-way
// messages the orchestration does not wait for, so the batch costs no round trips;
// the "get" call after them still sees every one, because messages from one sender to
// one entity are delivered in the order they were sent. Readings other senders sent
// meanwhile may be included too: the summary is the sensor's, not the batch's.
func RecordSensorReadings(ctx *orchestrator.Context, in SensorReadings) (SensorSummary, error) {
	id := entities.ID{Name: "SensorAggregator", Key: in.Sensor}
	for _, r := range in.Readings {
		if err := ctx.SignalEntity(id, "record", r); err != nil {
			return SensorSummary{}, fmt.Errorf("record reading of sensor %q: %w", in.Sensor, err)
		}
	}
	return orchestrator.CallEntity[SensorSummary](ctx, id, "get", nil).Await()
}
