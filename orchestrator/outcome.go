package orchestrator

// Err returns the error the execution failed with: the one the orchestrator code
// returned or panicked with (a *PanicError), or the one replay failed it with (a
// *NonDeterminismError when the code no longer takes the actions its history records).
// It is nil while nothing failed. The history keeps only a description of it; tools
// that replay a saved history (durabletest) read the typed error here.
func (e *Execution) Err() error { return e.fnErr }
