package actors

import (
	"context"
	"strings"
	"sync"

	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

// ActivityFunc is an activity in its stored form: JSON input in, JSON output out.
type ActivityFunc = func(ctx context.Context, input []byte) ([]byte, error)

// Registry maps names to orchestrators and activities. Names match case-insensitively,
// as Azure Functions names do. It is safe for concurrent use and may grow while the
// runtime runs.
type Registry struct {
	mu            sync.RWMutex
	orchestrators map[string]orchestrator.Func
	activities    map[string]ActivityFunc
	entities      map[string]entities.Func
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{orchestrators: map[string]orchestrator.Func{}, activities: map[string]ActivityFunc{},
		entities: map[string]entities.Func{}}
}

// AddEntity registers fn as the entity name, replacing any earlier one.
func (r *Registry) AddEntity(name string, fn entities.Func) {
	r.mu.Lock()
	r.entities[strings.ToLower(name)] = fn
	r.mu.Unlock()
}

// Entity returns the entity registered under name.
func (r *Registry) Entity(name string) (entities.Func, bool) {
	r.mu.RLock()
	fn, ok := r.entities[strings.ToLower(name)]
	r.mu.RUnlock()
	return fn, ok
}

// AddOrchestrator registers fn under name, replacing any earlier one.
func (r *Registry) AddOrchestrator(name string, fn orchestrator.Func) {
	r.mu.Lock()
	r.orchestrators[strings.ToLower(name)] = fn
	r.mu.Unlock()
}

// AddActivity registers fn under name, replacing any earlier one.
func (r *Registry) AddActivity(name string, fn ActivityFunc) {
	r.mu.Lock()
	r.activities[strings.ToLower(name)] = fn
	r.mu.Unlock()
}

// Orchestrator returns the orchestrator registered under name.
func (r *Registry) Orchestrator(name string) (orchestrator.Func, bool) {
	r.mu.RLock()
	fn, ok := r.orchestrators[strings.ToLower(name)]
	r.mu.RUnlock()
	return fn, ok
}

// Activity returns the activity registered under name.
func (r *Registry) Activity(name string) (ActivityFunc, bool) {
	r.mu.RLock()
	fn, ok := r.activities[strings.ToLower(name)]
	r.mu.RUnlock()
	return fn, ok
}
