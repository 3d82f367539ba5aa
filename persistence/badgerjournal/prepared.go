package badgerjournal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/godurable/durable/persistence"
)

// A batch prepared once serves two journals. Preparing a batch encodes everything it
// writes (row body, history chunks, timers, messages) for this layout; a primary that
// keeps a standby in sync prepares each append once, appends it here, and sends the
// prepared form to the standby, which appends it as it is instead of decoding the
// batch and encoding it again. The version check and the merge with the stored row
// happen when each journal commits it, against its own row.

// Prepared is a batch encoded for this layout; append it once, to one journal.
type Prepared struct{ o *op }

// InstanceID returns the instance the batch changes.
func (p *Prepared) InstanceID() string { return p.o.id }

// Prepare encodes b for AppendPrepared and MarshalBinary; b is not used afterwards.
func (j *Journal) Prepare(b *persistence.Batch) (*Prepared, error) {
	o, err := j.cfg.prepare(b, nil)
	if err != nil {
		return nil, named(b.InstanceID, err)
	}
	return &Prepared{o}, nil
}

// AppendPrepared appends a prepared batch; see Append. p must not be used again.
func (j *Journal) AppendPrepared(p *Prepared, done func(error)) {
	if done == nil {
		done = func(error) {}
	}
	p.o.done = done
	j.enqueue(p.o)
}

// enqueue hands a prepared op to the committer, unless the journal takes nothing more.
func (j *Journal) enqueue(o *op) {
	j.mu.Lock()
	if err := j.refusalLocked(); err != nil {
		j.mu.Unlock()
		o.done(named(o.id, err))
		return
	}
	j.queue = append(j.queue, o)
	j.queuedKeys.Add(int64(o.keys))
	j.queuedBytes.Add(int64(o.bytes))
	j.mu.Unlock()
	j.signal()
}

const preparedFormat = 1

const (
	pfDelete = 1 << iota
	pfFinished
	pfResetHistory
	pfInputSet
	pfOutputSet
	pfRecover
	pfRecoverValue
	pfInlineEvents
)

// MarshalBinary encodes the prepared batch for another journal of this layout.
func (p *Prepared) MarshalBinary() ([]byte, error) {
	o := p.o
	e := encoder{b: make([]byte, 0, 128+o.bytes)}
	e.b = append(e.b, preparedFormat)
	e.str(o.id)
	e.uint(o.expected)
	var f uint64
	set := func(bit uint64, on bool) {
		if on {
			f |= bit
		}
	}
	set(pfDelete, o.delete)
	set(pfFinished, o.finished)
	set(pfResetHistory, o.resetHistory)
	set(pfInputSet, o.input.set)
	set(pfOutputSet, o.output.set)
	set(pfRecover, o.recover != nil)
	set(pfRecoverValue, o.recover != nil && *o.recover)
	set(pfInlineEvents, o.events != nil)
	e.uint(f)
	e.bytes(o.rowBody)
	e.bytes(o.input.inline)
	e.bytes(o.input.sealed)
	e.bytes(o.output.inline)
	e.bytes(o.output.sealed)
	e.uint(uint64(o.numEvents))
	e.uint(uint64(len(o.chunks)))
	for _, c := range o.chunks {
		e.bytes(c.value)
		e.uint(uint64(c.n))
		e.uint(uint64(c.sum))
	}
	e.uint(uint64(len(o.events)))
	for _, list := range [][]timerOp{o.arm, o.cancel} {
		e.uint(uint64(len(list)))
		for _, t := range list {
			e.bytes(t.key)
			e.bytes(t.value)
		}
	}
	e.uint(uint64(len(o.send)))
	for _, m := range o.send {
		e.bytes(m.key)
		e.bytes(m.value)
	}
	e.uint(uint64(len(o.delivered)))
	for _, k := range o.delivered {
		e.bytes(k)
	}
	e.uint(uint64(o.keys))
	e.uint(uint64(o.bytes))
	return e.b, nil
}

var errPrepared = errors.New("badgerjournal: malformed prepared batch")

// UnmarshalPrepared decodes a batch another journal of this layout prepared. It checks
// that every key the batch names belongs to its instance (timers may fire at
// another), so that a damaged or hostile one cannot write over other instances.
func UnmarshalPrepared(data []byte) (*Prepared, error) {
	d := decoder{rowReader{b: data}}
	if d.byte() != preparedFormat {
		return nil, fmt.Errorf("%w: unknown format", errPrepared)
	}
	o := &op{}
	o.id = d.str()
	o.expected = d.uint()
	f := d.uint()
	o.delete, o.finished, o.resetHistory = f&pfDelete != 0, f&pfFinished != 0, f&pfResetHistory != 0
	o.input.set, o.output.set = f&pfInputSet != 0, f&pfOutputSet != 0
	if f&pfRecover != 0 {
		r := f&pfRecoverValue != 0
		o.recover = &r
	}
	o.rowBody = d.bytes()
	o.input.inline, o.input.sealed = d.bytes(), d.bytes()
	o.output.inline, o.output.sealed = d.bytes(), d.bytes()
	o.numEvents = int(d.uint())
	for range d.count() {
		o.chunks = append(o.chunks, chunk{value: d.bytes(), n: int(d.uint()), sum: uint32(d.uint())})
	}
	if n := d.uint(); f&pfInlineEvents != 0 {
		if len(o.chunks) == 0 || len(o.chunks[0].value) < 4 || n > uint64(len(o.chunks[0].value)-4) {
			return nil, fmt.Errorf("%w: inline events outside their chunk", errPrepared)
		}
		v := o.chunks[0].value
		o.events = v[len(v)-4-int(n) : len(v)-4 : len(v)-4]
	}
	for i, list := range []*[]timerOp{&o.arm, &o.cancel} {
		for range d.count() {
			t := timerOp{key: d.bytes(), value: d.bytes()}
			if d.bad || !strings.HasPrefix(string(t.key), timerTag) {
				return nil, errPrepared
			}
			owner, _, ok := parseTimerKey(t.key)
			if !ok || i == 1 && t.value != nil {
				return nil, fmt.Errorf("%w: bad timer key %s", errPrepared, describeKey(t.key))
			}
			t.own = owner == o.id
			*list = append(*list, t)
		}
	}
	for range d.count() {
		m := kv{d.bytes(), d.bytes()}
		o.send = append(o.send, m)
	}
	for range d.count() {
		o.delivered = append(o.delivered, d.bytes())
	}
	o.keys, o.bytes = int(d.uint()), int(d.uint())
	if d.bad || len(d.b) != 0 {
		return nil, errPrepared
	}
	if strings.IndexByte(o.id, idEnd) >= 0 {
		return nil, errInvalidID
	}
	keys := make([][]byte, 0, len(o.send)+len(o.delivered))
	for _, m := range o.send {
		keys = append(keys, m.key)
	}
	for _, k := range append(keys, o.delivered...) {
		if !strings.HasPrefix(string(k), outboxTag) {
			return nil, fmt.Errorf("%w: message key %s is not of %q", errPrepared, describeKey(k), o.id)
		}
		if id, _, ok := parseIDKey(k, outboxTag); !ok || id != o.id {
			return nil, fmt.Errorf("%w: message key %s is not of %q", errPrepared, describeKey(k), o.id)
		}
	}
	for _, c := range o.chunks {
		if len(c.value) < 4 {
			return nil, fmt.Errorf("%w: short history chunk", errPrepared)
		}
	}
	if o.rowBody != nil {
		// The creation time, which the c/ key holds, travels in the row's body.
		var r rowRecord
		if err := decodeBody(o.rowBody, &r); err != nil {
			return nil, fmt.Errorf("%w: row body: %v", errPrepared, err)
		}
		o.created = nanos(r.CreatedAt)
	}
	return &Prepared{o}, nil
}

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) str(s string)  { e.uint(uint64(len(s))); e.b = append(e.b, s...) }

// bytes keeps nil apart from empty: 0 is nil, n+1 is n bytes.
func (e *encoder) bytes(p []byte) {
	if p == nil {
		e.uint(0)
		return
	}
	e.uint(uint64(len(p)) + 1)
	e.b = append(e.b, p...)
}

// decoder reads what encoder wrote, on a rowReader's primitives.
type decoder struct{ rowReader }

func (d *decoder) uint() uint64 { return d.uvarint() }

// count reads a length that must fit what is left.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) str() string { return string(d.rowReader.bytes()) }

// bytes reads what encoder.bytes wrote: 0 for nil, n+1 for n bytes.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n == 0 || n-1 > uint64(len(d.b)) {
		if n != 0 {
			d.fail()
		}
		return nil
	}
	return d.take(int(n - 1))
}
