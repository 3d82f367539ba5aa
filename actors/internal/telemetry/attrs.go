package telemetry

import (
	"sync"

	"go.opentelemetry.io/otel/attribute"
)

// attrCache keeps the attribute set of each name, so that counting a start does not
// build one every time.
type attrCache struct{ m sync.Map }

func (c *attrCache) of(k attribute.Key, v string) attribute.Set {
	if s, ok := c.m.Load(v); ok {
		return s.(attribute.Set)
	}
	s := attribute.NewSet(k.String(v))
	c.m.Store(v, s)
	return s
}
