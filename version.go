package durable

import (
	"fmt"

	"github.com/godurable/durable/internal/validate"
)

// RegisterOption configures RegisterOrchestrator.
type RegisterOption func(*registerOptions)

type registerOptions struct {
	version     string
	makeDefault bool
}

// Version registers the orchestrator as version v of its name, beside the other
// versions registered under it. Each instance runs the version it was started at to
// its end, so code that changes what an orchestration does is registered as a new
// version while instances of the old one are in flight. Without Version (or with
// Version("")) the code is the unversioned one, which instances started before any
// versioning run.
func Version(v string) RegisterOption {
	return func(o *registerOptions) { o.version = v }
}

// DefaultVersion registers the orchestrator as version v, as Version does, and makes v
// the version that new instances of its name start at unless WithVersion names
// another. Until a registration makes one the default, new instances start at the
// unversioned code.
func DefaultVersion(v string) RegisterOption {
	return func(o *registerOptions) { o.version, o.makeDefault = v, true }
}

// WithVersion starts the instance at version v of the orchestrator instead of its
// default version. A version no code is registered for is refused with
// ErrUnknownOrchestration; WithVersion("") asks for the unversioned code.
func WithVersion(v string) StartOption {
	return func(o *startOptions) { o.version, o.versionSet = v, true }
}

func collectRegisterOptions(name string, opts []RegisterOption) (registerOptions, error) {
	var o registerOptions
	for _, f := range opts {
		f(&o)
	}
	if err := validate.Version(o.version); err != nil {
		return o, fmt.Errorf("durable: orchestrator %q: %w", name, err)
	}
	return o, nil
}
