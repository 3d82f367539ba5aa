package telemetry

import (
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// attrCache keeps the attribute sets metrics are recorded with, one per name (and
// second value), so that recording does not build and sort a set every time.
type attrCache struct{ m sync.Map }

type attrKey struct {
	k2     attribute.Key
	v1, v2 string
}

// of returns the option recording with {durable.name: name} and, when k2 is set,
// {k2: v2}.
func (c *attrCache) of(name string, k2 attribute.Key, v2 string) metric.MeasurementOption {
	key := attrKey{k2, name, v2}
	if o, ok := c.m.Load(key); ok {
		return o.(metric.MeasurementOption)
	}
	kvs := []attribute.KeyValue{keyName.String(name)}
	if k2 != "" {
		kvs = append(kvs, k2.String(v2))
	}
	o := metric.WithAttributeSet(attribute.NewSet(kvs...))
	c.m.Store(key, o)
	return o
}
