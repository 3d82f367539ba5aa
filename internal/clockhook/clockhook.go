// Package clockhook lets durabletest run a durable.Runtime on its fake clock. The
// runtime reads the real time, and its Config has no clock to set: the hook reaches an
// unexported field, so only packages of this module can use it.
package clockhook

import "github.com/godurable/durable/actors"

// Set gives rt, a *durable.Runtime that has not started yet, the clock it runs on.
// Package durable installs it when it is initialised.
var Set func(rt any, clock actors.Clock)
