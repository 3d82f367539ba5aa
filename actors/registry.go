package actors

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/godurable/durable/actors/internal/activities"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
)

// ActivityFunc is an activity in its stored form: JSON input in, JSON output out.
type ActivityFunc = func(ctx context.Context, input []byte) ([]byte, error)

// Registry maps names to orchestrators and activities, and an orchestrator's name and
// version to its code. Names match case-insensitively, as Azure Functions names do;
// versions exactly. It is safe for concurrent use and may grow while the runtime runs.
type Registry struct {
	mu            sync.RWMutex
	orchestrators map[string]*versions // by lower-cased name
	activities    map[string]ActivityFunc
	entities      map[string]entities.Func
	// fallback runs the activities no name matches; nil: they fail as unknown.
	fallback ActivityFallback
	// remote takes the steps of orchestrations no name matches; nil: none run.
	remote orchestrator.Remote
	// remoteEntities runs the batches of entities no name matches; nil: they fail
	// as unknown.
	remoteEntities entities.Remote
}

// SetRemoteEntities makes the entities whose name nothing registered run through fn.
func (r *Registry) SetRemoteEntities(fn entities.Remote) {
	r.mu.Lock()
	r.remoteEntities = fn
	r.mu.Unlock()
}

// RemoteEntities returns what runs the entities no Go code registered, or nil.
func (r *Registry) RemoteEntities() entities.Remote {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.remoteEntities
}

// SetRemote makes the orchestrations whose name nothing registered run through fn.
func (r *Registry) SetRemote(fn orchestrator.Remote) {
	r.mu.Lock()
	r.remote = fn
	r.mu.Unlock()
}

// Remote returns what runs the orchestrations no Go code registered, or nil.
func (r *Registry) Remote() orchestrator.Remote {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.remote
}

// ActivityFallback runs an activity nothing registered by name: it returns the
// activity's JSON result or its failure, or an error when it has neither (the runtime
// stops while the activity waits), in which case nothing is recorded.
type ActivityFallback = func(ctx context.Context, call ActivityCall) ([]byte, *history.Failure, error)

// ActivityCall is an activity execution handed to the fallback.
type ActivityCall struct {
	InstanceID, ExecutionID string
	TaskID                  int64
	Name                    string
	Input                   []byte
}

// SetActivityFallback makes fn run every activity whose name nothing registered.
func (r *Registry) SetActivityFallback(fn ActivityFallback) {
	r.mu.Lock()
	r.fallback = fn
	r.mu.Unlock()
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{orchestrators: map[string]*versions{}, activities: map[string]ActivityFunc{},
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

// AddActivity registers fn under name, replacing any earlier one.
func (r *Registry) AddActivity(name string, fn ActivityFunc) {
	r.mu.Lock()
	r.activities[strings.ToLower(name)] = fn
	r.mu.Unlock()
}

// Activity returns the activity registered under name, or the fallback, if one is
// set, for a name nothing registered.
func (r *Registry) Activity(name string) (ActivityFunc, bool) {
	r.mu.RLock()
	fn, ok := r.activities[strings.ToLower(name)]
	fallback := r.fallback
	r.mu.RUnlock()
	if ok || fallback == nil {
		return fn, ok
	}
	return func(ctx context.Context, input []byte) ([]byte, error) {
		info, _ := activities.InfoFrom(ctx)
		out, failure, err := fallback(ctx, ActivityCall{InstanceID: info.InstanceID, ExecutionID: info.ExecutionID,
			TaskID: info.TaskID, Name: name, Input: input})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", activities.ErrAbandoned, err)
		}
		if failure != nil {
			return nil, &activities.FailedError{Failure: failure}
		}
		return out, nil
	}, true
}

// ActivityLogger returns the runtime's logger for the activity running with ctx, with
// the attributes that place it: instance, execution, activity and task. ok is false
// outside an activity.
func ActivityLogger(ctx context.Context) (log *slog.Logger, ok bool) {
	info, ok := activities.InfoFrom(ctx)
	if !ok || info.Log == nil {
		return nil, false
	}
	return info.Log.With("instanceId", info.InstanceID, "executionId", info.ExecutionID,
		"activity", info.Name, "taskId", info.TaskID), true
}
