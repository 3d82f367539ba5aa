// Package history defines the events an orchestration's journal records and the
// runtime statuses an instance moves through.
//
// An orchestration is its history: every action the orchestrator took (scheduling an
// activity, arming a timer, starting a child) and every result that came back is an
// Event. Replaying the events through the orchestrator code rebuilds its state, which is
// why orchestrator code must be deterministic. The journal stores these events; the
// replay engine reads them; clients may inspect them.
package history
