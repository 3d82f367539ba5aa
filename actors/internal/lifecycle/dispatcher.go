package lifecycle

import (
	"runtime"

	"github.com/asynkron/protoactor-go/actor"
)

// Dispatcher runs actor mailboxes on long-lived goroutines. protoactor's default
// dispatcher starts a goroutine whenever an idle actor gets a message, and each new
// goroutine grows its stack again from scratch: with one message per orchestration
// turn, stack growth alone took about 15% of the CPU. Instance actors never block for
// long (journal appends are asynchronous), so a small pool serves them all; when every
// pool goroutine is busy a mailbox gets its own goroutine, as before.
type Dispatcher struct {
	work       chan func()
	done       chan struct{}
	throughput int
}

// NewDispatcher starts a pool of goroutines (4 per CPU when goroutines is 0).
func NewDispatcher(throughput, goroutines int) *Dispatcher {
	if goroutines <= 0 {
		goroutines = 4 * runtime.GOMAXPROCS(0)
	}
	d := &Dispatcher{work: make(chan func(), 1024), done: make(chan struct{}), throughput: throughput}
	for range goroutines {
		go d.loop()
	}
	return d
}

func (d *Dispatcher) loop() {
	for {
		select {
		case fn := <-d.work:
			fn()
		case <-d.done:
			return
		}
	}
}

// Stop ends the pool goroutines once the actors are stopped; mailboxes still
// scheduled get goroutines of their own.
func (d *Dispatcher) Stop() {
	close(d.done)
	for {
		select {
		case fn := <-d.work:
			go fn()
		default:
			return
		}
	}
}

var _ actor.Dispatcher = (*Dispatcher)(nil)

func (d *Dispatcher) Schedule(fn func()) {
	select {
	case <-d.done:
		go fn()
		return
	default:
	}
	select {
	case d.work <- fn:
	default:
		go fn()
	}
}

func (d *Dispatcher) Throughput() int { return d.throughput }
