package actors

import (
	"fmt"
	"slices"
	"strings"

	"github.com/godurable/durable/internal/validate"
	"github.com/godurable/durable/orchestrator"
)

// versions is the code registered under one orchestrator name: one function per
// version ("" is the unversioned one), and the version new instances start at.
type versions struct {
	code map[string]orchestrator.Func
	// def is the default version; "" until a registration makes another the default.
	def string
}

// AddOrchestrator registers fn as the unversioned code of name, replacing any earlier
// one.
func (r *Registry) AddOrchestrator(name string, fn orchestrator.Func) {
	r.AddOrchestratorVersion(name, "", fn, false)
}

// AddOrchestratorVersion registers fn as version version of name, replacing any earlier
// code of that version; makeDefault makes it the version new instances start at.
func (r *Registry) AddOrchestratorVersion(name, version string, fn orchestrator.Func, makeDefault bool) {
	key := strings.ToLower(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	vs := r.orchestrators[key]
	if vs == nil {
		vs = &versions{code: map[string]orchestrator.Func{}}
		r.orchestrators[key] = vs
	}
	vs.code[version] = fn
	if makeDefault {
		vs.def = version
	}
}

// Orchestrator returns the code registered as version version of name.
func (r *Registry) Orchestrator(name, version string) (orchestrator.Func, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	vs := r.orchestrators[strings.ToLower(name)]
	if vs == nil {
		return nil, false
	}
	fn, ok := vs.code[version]
	return fn, ok
}

// HasVersion reports whether Go code is registered as version version of name.
func (r *Registry) HasVersion(name, version string) bool {
	_, ok := r.Orchestrator(name, version)
	return ok
}

// DefaultVersion returns the version new instances of name start at: the one last
// registered as the default, else "" (the unversioned code).
func (r *Registry) DefaultVersion(name string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if vs := r.orchestrators[strings.ToLower(name)]; vs != nil {
		return vs.def
	}
	return ""
}

// Registered reports whether Go code is registered under name, at any version.
func (r *Registry) Registered(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.orchestrators[strings.ToLower(name)] != nil
}

// StartVersion returns the version a new instance of name starts at: version when
// given, else name's default. It refuses, wrapping ErrUnknownOrchestration and naming
// what is registered, a name nothing can run and a version no code is registered for.
// The orchestrations of a remote runner take any version: their code decides.
func (r *Registry) StartVersion(name, version string, given bool) (string, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	vs := r.orchestrators[strings.ToLower(name)]
	switch {
	case vs == nil && r.remote != nil:
		return version, nil
	case vs == nil:
		return "", fmt.Errorf("%w: %q is not registered", ErrUnknownOrchestration, name)
	case !given:
		version = vs.def
	}
	if _, ok := vs.code[version]; ok {
		return version, nil
	}
	if !given {
		return "", fmt.Errorf("%w: orchestrator %q has no default version: start it at one of its versions (%s), "+
			"or register one as the default", ErrUnknownOrchestration, name, vs.list())
	}
	return "", fmt.Errorf("%w: orchestrator %q has no version %s (registered: %s)",
		ErrUnknownOrchestration, name, validate.DescribeVersion(version), vs.list())
}

// list names the registered versions, sorted, for messages.
func (vs *versions) list() string {
	names := make([]string, 0, len(vs.code))
	for v := range vs.code {
		names = append(names, validate.DescribeVersion(v))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
