package orchestrator

import (
	"fmt"

	"github.com/godurable/durable/internal/validate"
)

// Versions tells an execution which orchestrator versions the runtime has code for,
// so that the versions of what it starts next (sub-orchestrations, the execution after
// a continue-as-new) are picked when they are recorded. The runtime's registry is one.
type Versions interface {
	// HasVersion reports whether code is registered as version version of name.
	HasVersion(name, version string) bool
	// DefaultVersion returns the version new instances of name start at.
	DefaultVersion(name string) string
}

// Version returns the version of the orchestrator this instance runs: the one it was
// started at, kept by ContinueAsNew unless it chose another. Empty for the unversioned
// code. Code registered for several versions branches on it.
func (c *Context) Version() string { return c.e.version }

// WithVersion starts a sub-orchestration at version instead of the one it would
// inherit: a version the child has no code for fails the call. Without it the child
// runs at its parent's version when code is registered for that version of the child,
// and at the child's default version otherwise. Activities ignore it.
func WithVersion(version string) CallOption {
	return func(o *callOptions) { o.version, o.versionSet = version, true }
}

// ContinueAtVersion makes the next execution run version of the orchestrator instead
// of the current one; ContinueAsNew fails when no code is registered for it.
func ContinueAtVersion(version string) ContinueAsNewOption {
	return func(c *continueAsNew) { c.version, c.toDefault = version, false }
}

// ContinueAtDefaultVersion makes the next execution run the orchestrator's default
// version, whichever it is by then: the way an eternal orchestration moves on to new
// code.
func ContinueAtDefaultVersion() ContinueAsNewOption {
	return func(c *continueAsNew) { c.toDefault = true }
}

// childVersion picks the version a sub-orchestration named name starts at.
func (e *Execution) childVersion(name string, o callOptions) string {
	switch {
	case o.versionSet:
		return o.version
	case e.opts.Versions == nil || e.opts.Versions.HasVersion(name, e.version):
		return e.version
	default:
		return e.opts.Versions.DefaultVersion(name)
	}
}

// nextVersion settles the version the execution after a continue-as-new runs, or
// refuses one no code is registered for.
func (e *Execution) nextVersion(c *continueAsNew) error {
	vs := e.opts.Versions
	if vs == nil {
		return validate.Version(c.version) // nothing to ask: the version stays as given
	}
	if c.toDefault {
		c.version = vs.DefaultVersion(e.name)
	}
	if err := validate.Version(c.version); err != nil {
		return fmt.Errorf("continue as new: %w", err)
	}
	if c.version != e.version && !vs.HasVersion(e.name, c.version) {
		return fmt.Errorf("continue as new: orchestrator %q has no version %s", e.name, validate.DescribeVersion(c.version))
	}
	return nil
}
