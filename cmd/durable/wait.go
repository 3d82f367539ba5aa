package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"strconv"
	"time"
)

// maxServerWait is the longest the HTTP API holds a start request open.
const maxServerWait = 24 * time.Hour

// positiveDuration is a duration flag that must be greater than zero.
type positiveDuration time.Duration

func (d *positiveDuration) String() string { return time.Duration(*d).String() }

func (d *positiveDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return errors.New("want a positive duration such as 30s, 10m or 2h")
	}
	*d = positiveDuration(v)
	return nil
}

func timeoutFlag(fs *flag.FlagSet) *positiveDuration {
	d := positiveDuration(10 * time.Minute)
	fs.Var(&d, "timeout", "give up after `DURATION`")
	return &d
}

func wait(c *apiClient, args []string, opts any, p *printer) error {
	b, err := c.waitFor(args[0], time.Duration(*opts.(*positiveDuration)))
	if err != nil {
		return err
	}
	return ended(p, b)
}

type runOpts struct {
	*startOpts
	timeout *positiveDuration
}

func runFlags(fs *flag.FlagSet) *runOpts {
	return &runOpts{startOpts: startFlags(fs), timeout: timeoutFlag(fs)}
}

// startAndWait is the run verb: the start request itself waits for the instance to
// end (the HTTP API's wait mode, ?timeout=&pollingInterval=).
func startAndWait(c *apiClient, args []string, opts any, p *printer) error {
	o := opts.(*runOpts)
	timeout := time.Duration(*o.timeout)
	if timeout > maxServerWait {
		return usagef("--timeout %v: the server waits %v at most; start the instance, then wait for it", timeout, maxServerWait)
	}
	id := *o.id
	if id == "" {
		// When the instance completes, the server answers with its output alone; the
		// status must then be read by id, so the id is chosen here.
		id = newInstanceID()
	}
	q := o.query()
	q.Set("timeout", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	// Validated by the API, not needed: the runtime wakes the waiting request.
	q.Set("pollingInterval", "1")
	_, resp, err := c.waitingFor(timeout).do("POST", startPath(args[0], id), q, o.input.doc, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusAccepted {
		return &timeoutError{id: id, after: timeout}
	}
	b, _, err := c.do("GET", instancePath(id), nil, nil, http.StatusOK)
	if err != nil {
		return err
	}
	return ended(p, b)
}

// newInstanceID returns 32 random hex digits, the form of the ids the runtime makes.
func newInstanceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// ended prints the final status of an instance and says how it ended: nil if it
// completed, an *endedError otherwise.
func ended(p *printer, raw []byte) error {
	if err := p.status(raw); err != nil {
		return err
	}
	var st status
	if err := json.Unmarshal(raw, &st); err != nil {
		return err
	}
	if st.RuntimeStatus == "Completed" {
		return nil
	}
	return &endedError{id: st.InstanceID, status: st.RuntimeStatus}
}

func finished(s string) bool {
	switch s {
	case "Completed", "Failed", "Terminated", "Canceled":
		return true
	}
	return false
}

// waitFor polls an instance until it ends: the status route answers at once (202
// while running), so a client waits by polling, with a growing interval.
func (c *apiClient) waitFor(id string, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	pause := 50 * time.Millisecond
	for {
		b, _, err := c.do("GET", instancePath(id), nil, nil, http.StatusOK, http.StatusAccepted)
		if err != nil {
			return nil, err
		}
		var st status
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, err
		}
		if finished(st.RuntimeStatus) {
			return b, nil
		}
		if time.Now().After(deadline) {
			return nil, &timeoutError{id: id, after: timeout}
		}
		time.Sleep(min(pause, time.Until(deadline)))
		pause = min(pause*2, time.Second)
	}
}
