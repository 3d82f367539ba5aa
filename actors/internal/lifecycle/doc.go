// Package lifecycle decides how the runtime's virtual actors live in memory: the
// goroutines their mailboxes run on, the bound on idle actors kept, and passivation
// after a quiet period.
package lifecycle
