package durable

import (
	"github.com/godurable/durable/actors"
	"github.com/godurable/durable/internal/clockhook"
)

// durabletest runs a runtime on a fake clock, through a hook no other package can
// reach: a user needs no Clock in Config.
func init() {
	clockhook.Set = func(rt any, clock actors.Clock) { rt.(*Runtime).clock = clock }
}
