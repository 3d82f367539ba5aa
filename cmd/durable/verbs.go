package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// command is one client verb: its flags, how many positional arguments it takes, and
// what it does with them.
type command struct {
	args    string // shown in usage errors
	min     int
	max     int
	flags   func(fs *flag.FlagSet) any
	perform func(c *apiClient, args []string, opts any, out *printer) error
}

var commands = map[string]*command{
	"start":      {args: "NAME", min: 1, max: 1, flags: startFlags, perform: start},
	"status":     {args: "ID", min: 1, max: 1, flags: historyFlag, perform: showStatus},
	"wait":       {args: "ID", min: 1, max: 1, flags: timeoutFlag, perform: wait},
	"raise":      {args: "ID EVENT [JSON]", min: 2, max: 3, perform: raise},
	"terminate":  {args: "ID", min: 1, max: 1, flags: reasonFlag, perform: control("terminate")},
	"suspend":    {args: "ID", min: 1, max: 1, flags: reasonFlag, perform: control("suspend")},
	"resume":     {args: "ID", min: 1, max: 1, flags: reasonFlag, perform: control("resume")},
	"rewind":     {args: "ID", min: 1, max: 1, flags: reasonFlag, perform: control("rewind")},
	"restart":    {args: "ID", min: 1, max: 1, flags: sameIDFlag, perform: restart},
	"purge":      {args: "ID", min: 1, max: 1, perform: purge},
	"list":       {args: "", min: 0, max: 0, flags: listFlags, perform: list},
	"signal":     {args: "ENTITY KEY OP [JSON]", min: 3, max: 4, perform: signalEntity},
	"entity":     {args: "ENTITY KEY", min: 2, max: 2, perform: showEntity},
	"entities":   {args: "[NAME]", min: 0, max: 1, perform: listEntities},
	"members":    {args: "", min: 0, max: 0, perform: showMembers},
	"partitions": {args: "", min: 0, max: 0, perform: showPartitions},
}

func (cmd *command) run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("durable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", envOr("DURABLE_SERVER", "http://127.0.0.1:7071"), "server URL")
	key := fs.String("api-key", os.Getenv("DURABLE_API_KEY"), "API key")
	asJSON := fs.Bool("json", false, "print JSON")
	var opts any
	if cmd.flags != nil {
		opts = cmd.flags(fs)
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < cmd.min || len(pos) > cmd.max {
		fmt.Fprintf(stderr, "durable: expected arguments %s, got %d\n", cmd.args, len(pos))
		return 2
	}
	c := &apiClient{server: *server, key: *key, http: &http.Client{Timeout: 60 * time.Second}}
	p := &printer{w: stdout, json: *asJSON}
	if err := cmd.perform(c, pos, opts, p); err != nil {
		fmt.Fprintln(stderr, "durable:", err)
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusNotFound {
			return 3
		}
		return 1
	}
	return 0
}

// parseInterspersed parses flags wherever they appear among the positional arguments,
// so `durable start Hello --id x` works as well as `durable start --id x Hello`.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

type startOpts struct{ id, input *string }

func startFlags(fs *flag.FlagSet) any {
	return &startOpts{id: fs.String("id", "", "instance id (default: generated)"), input: fs.String("input", "", "input JSON")}
}

func start(c *apiClient, args []string, opts any, p *printer) error {
	o := opts.(*startOpts)
	path := "/api/orchestrators/" + url.PathEscape(args[0])
	if *o.id != "" {
		path += "/" + url.PathEscape(*o.id)
	}
	body, err := jsonArg(*o.input)
	if err != nil {
		return err
	}
	b, _, err := c.do("POST", path, nil, body, http.StatusAccepted)
	if err != nil {
		return err
	}
	var payload struct {
		ID                string `json:"id"`
		StatusQueryGetURI string `json:"statusQueryGetUri"`
	}
	if err := json.Unmarshal(b, &payload); err != nil {
		return err
	}
	return p.print(b, func(w io.Writer) {
		fmt.Fprintf(w, "started %s\nstatus: %s\n", payload.ID, payload.StatusQueryGetURI)
	})
}

// jsonArg checks a JSON argument; empty means no body.
func jsonArg(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("not valid JSON: %s (quote strings: '\"text\"')", s)
	}
	return []byte(s), nil
}

func historyFlag(fs *flag.FlagSet) any { return fs.Bool("history", false, "include the history") }

func showStatus(c *apiClient, args []string, opts any, p *printer) error {
	q := url.Values{}
	if *opts.(*bool) {
		q.Set("showHistory", "true")
		q.Set("showHistoryOutput", "true")
	}
	b, _, err := c.do("GET", instancePath(args[0]), q, nil, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return err
	}
	return p.status(b)
}

func timeoutFlag(fs *flag.FlagSet) any {
	return fs.Duration("timeout", 10*time.Minute, "give up after this long")
}

func wait(c *apiClient, args []string, opts any, p *printer) error {
	b, err := c.waitFor(args[0], *opts.(*time.Duration))
	if err != nil {
		return err
	}
	return p.status(b)
}

func raise(c *apiClient, args []string, _ any, p *printer) error {
	data := "null"
	if len(args) == 3 {
		data = args[2]
	}
	body, err := jsonArg(data)
	if err != nil {
		return err
	}
	if _, _, err := c.do("POST", instancePath(args[0], "raiseEvent", args[1]), nil, body, http.StatusAccepted); err != nil {
		return err
	}
	return p.done(fmt.Sprintf("raised %s on %s", args[1], args[0]))
}

func reasonFlag(fs *flag.FlagSet) any {
	return fs.String("reason", "", "reason recorded with the operation")
}

func control(op string) func(*apiClient, []string, any, *printer) error {
	return func(c *apiClient, args []string, opts any, p *printer) error {
		q := url.Values{}
		if r := *opts.(*string); r != "" {
			q.Set("reason", r)
		}
		if _, _, err := c.do("POST", instancePath(args[0], op), q, nil, http.StatusAccepted); err != nil {
			return err
		}
		return p.done(fmt.Sprintf("%s %s: accepted", op, args[0]))
	}
}

func sameIDFlag(fs *flag.FlagSet) any {
	return fs.Bool("same-id", false, "restart under the same id instead of a new one")
}

func restart(c *apiClient, args []string, opts any, p *printer) error {
	q := url.Values{"restartWithNewInstanceId": {strconv.FormatBool(!*opts.(*bool))}}
	b, _, err := c.do("POST", instancePath(args[0], "restart"), q, nil, http.StatusAccepted)
	if err != nil {
		return err
	}
	var payload struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(b, &payload)
	return p.print(b, func(w io.Writer) { fmt.Fprintf(w, "restarted %s as %s\n", args[0], payload.ID) })
}

func purge(c *apiClient, args []string, _ any, p *printer) error {
	if _, _, err := c.do("DELETE", instancePath(args[0]), nil, nil, http.StatusOK); err != nil {
		return err
	}
	return p.done("purged " + args[0])
}

type listOpts struct {
	status, prefix *string
	top            *int
	all            *bool
}

func listFlags(fs *flag.FlagSet) any {
	return &listOpts{
		status: fs.String("status", "", "runtime statuses, comma separated (e.g. Running,Failed)"),
		prefix: fs.String("prefix", "", "instance id prefix"),
		top:    fs.Int("top", 100, "page size"),
		all:    fs.Bool("all", false, "follow every page"),
	}
}

func list(c *apiClient, _ []string, opts any, p *printer) error {
	o := opts.(*listOpts)
	q := url.Values{"top": {strconv.Itoa(*o.top)}}
	if *o.status != "" {
		q.Set("runtimeStatus", *o.status)
	}
	if *o.prefix != "" {
		q.Set("instanceIdPrefix", *o.prefix)
	}
	var all []status
	for {
		b, resp, err := c.do("GET", base+"/instances", q, nil, http.StatusOK)
		if err != nil {
			return err
		}
		var page []status
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

func entityPath(name, key string) string {
	return base + "/entities/" + url.PathEscape(name) + "/" + url.PathEscape(key)
}

func signalEntity(c *apiClient, args []string, _ any, p *printer) error {
	var body []byte
	if len(args) == 4 {
		b, err := jsonArg(args[3])
		if err != nil {
			return err
		}
		body = b
	}
	if _, _, err := c.do("POST", entityPath(args[0], args[1]), url.Values{"op": {args[2]}}, body, http.StatusAccepted); err != nil {
		return err
	}
	return p.done(fmt.Sprintf("signalled %s on @%s@%s", args[2], strings.ToLower(args[0]), args[1]))
}

func showEntity(c *apiClient, args []string, _ any, p *printer) error {
	b, _, err := c.do("GET", entityPath(args[0], args[1]), nil, nil, http.StatusOK)
	if err != nil {
		return err
	}
	return p.print(b, func(w io.Writer) { fmt.Fprintln(w, pretty(b)) })
}

func listEntities(c *apiClient, args []string, _ any, p *printer) error {
	path := base + "/entities"
	if len(args) == 1 {
		path += "/" + url.PathEscape(args[0])
	}
	b, _, err := c.do("GET", path, url.Values{"fetchState": {"true"}}, nil, http.StatusOK)
	if err != nil {
		return err
	}
	return p.entities(b)
}

// clusterInfo is GET /cluster's answer.
type clusterInfo struct {
	Cluster    string `json:"cluster"`
	Self       string `json:"self"`
	Partitions int    `json:"partitions"`
	Members    []struct {
		ID      string `json:"id"`
		Peer    string `json:"peer"`
		Leaving bool   `json:"leaving"`
	} `json:"members"`
	Owners []struct {
		Partition int    `json:"partition"`
		Primary   string `json:"primary"`
		Standby   string `json:"standby"`
		Epoch     uint64 `json:"epoch"`
	} `json:"owners"`
}

// printCluster prints GET /cluster's answer: as JSON with --json, through table
// otherwise, or a sentence for a runtime on its own.
func printCluster(c *apiClient, p *printer, table func(w io.Writer, info *clusterInfo)) error {
	b, _, err := c.do("GET", base+"/cluster", nil, nil, http.StatusOK)
	if err != nil {
		return err
	}
	var info clusterInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return fmt.Errorf("unreadable cluster table: %w", err)
	}
	return p.print(b, func(w io.Writer) {
		if info.Cluster == "" {
			fmt.Fprintln(w, "not a cluster: the runtime runs on its own")
			return
		}
		tw := newTable(w)
		table(tw, &info)
		tw.Flush()
	})
}

func showMembers(c *apiClient, _ []string, _ any, p *printer) error {
	return printCluster(c, p, func(w io.Writer, info *clusterInfo) {
		owned := map[string]int{}
		for _, o := range info.Owners {
			owned[o.Primary]++
		}
		fmt.Fprintln(w, "MEMBER\tPEER\tPARTITIONS\t")
		for _, m := range info.Members {
			self := ""
			if m.ID == info.Self {
				self = " (this one)"
			}
			if m.Leaving {
				self += " (leaving)"
			}
			fmt.Fprintf(w, "%s%s\t%s\t%d\t\n", m.ID, self, m.Peer, owned[m.ID])
		}
	})
}

func showPartitions(c *apiClient, _ []string, _ any, p *printer) error {
	return printCluster(c, p, func(w io.Writer, info *clusterInfo) {
		live := map[string]bool{}
		for _, m := range info.Members {
			live[m.ID] = true
		}
		fmt.Fprintln(w, "PARTITION\tPRIMARY\tSTANDBY\tEPOCH\t")
		for _, o := range info.Owners {
			primary := o.Primary
			switch {
			case primary == "":
				primary = "(none)"
			case !live[primary]:
				primary += " (down)"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%d\t\n", o.Partition, primary, o.Standby, o.Epoch)
		}
	})
}
