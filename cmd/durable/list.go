package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/godurable/durable/history"
)

type listOpts struct {
	statuses     statusesFlag
	created      createdFilter
	prefix, name *string
	top          *int
	all          *bool
}

func listFlags(fs *flag.FlagSet) *listOpts {
	o := &listOpts{
		prefix: fs.String("prefix", "", "instance id `PREFIX`"),
		name:   fs.String("name", "", "orchestration `NAME`, exactly"),
		top:    fs.Int("top", 100, "page `SIZE`"),
		all:    fs.Bool("all", false, "follow every page"),
	}
	o.statuses.define(fs, "runtime `STATUSES`, comma separated (e.g. Running,Failed)")
	o.created.define(fs)
	return o
}

func list(c *apiClient, _ []string, opts any, p *printer) error {
	o := opts.(*listOpts)
	if *o.top <= 0 {
		return usagef("--top %d: want a positive page size", *o.top)
	}
	q := url.Values{"top": {strconv.Itoa(*o.top)}}
	o.statuses.addTo(q)
	o.created.addTo(q)
	if *o.prefix != "" {
		q.Set("instanceIdPrefix", *o.prefix)
	}
	if *o.name != "" {
		q.Set("name", *o.name)
	}
	var all []json.RawMessage
	for {
		b, resp, err := c.do("GET", base+"/instances", q, nil, http.StatusOK)
		if err != nil {
			return err
		}
		var page []json.RawMessage
		if err := json.Unmarshal(b, &page); err != nil {
			return err
		}
		all = append(all, page...)
		c.continuation = resp.Header.Get("x-ms-continuation-token")
		if c.continuation == "" || !*o.all {
			break
		}
	}
	return p.instances(all)
}

type purgeOpts struct {
	statuses statusesFlag
	created  createdFilter
}

func purgeFlags(fs *flag.FlagSet) *purgeOpts {
	o := &purgeOpts{statuses: statusesFlag{finishedOnly: true}}
	o.statuses.define(fs, "purge the instances that ended so: `STATUSES`, comma separated (default: any finished)")
	o.created.define(fs)
	return o
}

func purge(c *apiClient, args []string, opts any, p *printer) error {
	o := opts.(*purgeOpts)
	filtered := len(o.statuses.list) > 0 || o.created.given()
	switch {
	case len(args) == 1 && filtered:
		return usagef("give an instance ID or filters, not both")
	case len(args) == 1:
		if _, _, err := c.do("DELETE", instancePath(args[0]), nil, nil, http.StatusOK); err != nil {
			return err
		}
		return p.done("purged " + args[0])
	case !filtered:
		return usagef("say what to purge: an instance ID, or filters (--status, --created-after, --created-before)")
	}
	q := url.Values{}
	o.statuses.addTo(q)
	o.created.addTo(q)
	// The API requires the lower bound; no instance is older than the epoch.
	if !q.Has("createdTimeFrom") {
		q.Set("createdTimeFrom", formatTime(time.Unix(0, 0)))
	}
	b, _, err := c.do("DELETE", base+"/instances", q, nil, http.StatusOK)
	var refused *apiError
	if errors.As(err, &refused) && refused.code == "NothingToPurge" {
		b, err = []byte(`{"instancesDeleted":0}`), nil
	}
	if err != nil {
		return err
	}
	var n struct {
		InstancesDeleted int `json:"instancesDeleted"`
	}
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	return p.print(b, func(w io.Writer) {
		fmt.Fprintf(w, "purged %d instance%s\n", n.InstancesDeleted, plural(n.InstancesDeleted))
	})
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// statusesFlag is a comma-separated list of runtime statuses, checked as it is parsed.
type statusesFlag struct {
	list         []history.RuntimeStatus
	finishedOnly bool // only finished instances can be purged
}

func (f *statusesFlag) define(fs *flag.FlagSet, usage string) { fs.Var(f, "status", usage) }

func (f *statusesFlag) String() string {
	names := make([]string, len(f.list))
	for i, s := range f.list {
		names[i] = s.String()
	}
	return strings.Join(names, ",")
}

func (f *statusesFlag) Set(v string) error {
	for name := range strings.SplitSeq(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		s, err := history.ParseRuntimeStatus(name)
		if err != nil {
			return fmt.Errorf("unknown status %q: want %s", name, strings.Join(f.choices(), ", "))
		}
		if !slices.Contains(f.choices(), s.String()) {
			return fmt.Errorf("%s instances cannot be purged, only finished ones: want %s", s, strings.Join(f.choices(), ", "))
		}
		f.list = append(f.list, s)
	}
	return nil
}

func (f *statusesFlag) choices() []string {
	var names []string
	for s := history.StatusPending; s <= history.StatusSuspended; s++ {
		if !f.finishedOnly || s.IsTerminal() {
			names = append(names, s.String())
		}
	}
	return names
}

func (f *statusesFlag) addTo(q url.Values) {
	if len(f.list) > 0 {
		q.Set("runtimeStatus", f.String())
	}
}

// createdFilter selects instances by when they were created.
type createdFilter struct{ after, before timeFlag }

func (f *createdFilter) define(fs *flag.FlagSet) {
	const when = "`TIME` (RFC 3339, or a duration such as 90m, 24h or 7d meaning that long ago)"
	fs.Var(&f.after, "created-after", "created at or after "+when)
	fs.Var(&f.before, "created-before", "created before "+when)
}

func (f *createdFilter) given() bool { return !f.after.t.IsZero() || !f.before.t.IsZero() }

func (f *createdFilter) addTo(q url.Values) {
	if !f.after.t.IsZero() {
		q.Set("createdTimeFrom", formatTime(f.after.t))
	}
	if !f.before.t.IsZero() {
		q.Set("createdTimeTo", formatTime(f.before.t))
	}
}

// timeFlag is a point in time: an RFC 3339 time, or a duration meaning that long ago.
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return formatTime(f.t)
}

func (f *timeFlag) Set(v string) error {
	if d, ok := parseAgo(v); ok {
		f.t = time.Now().Add(-d)
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return errors.New("want an RFC 3339 time such as 2026-01-02T15:04:05Z, or a duration such as 90m, 24h or 7d meaning that long ago")
	}
	f.t = t
	return nil
}

// parseAgo parses a non-negative duration, in Go's spelling or as a number of days.
func parseAgo(v string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err == nil && n >= 0
	}
	d, err := time.ParseDuration(v)
	return d, err == nil && d >= 0
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
