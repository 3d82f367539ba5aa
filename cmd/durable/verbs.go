package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// commands is every verb, in the order the help lists them. It is filled in init
// because help and completion read it.
var commands []*command

func init() {
	commands = []*command{
		{name: "serve", group: "server", summary: "host the runtime, its HTTP API and dashboard",
			about: "Runs every bundled example on an embedded runtime until SIGTERM or SIGINT, then stops\n" +
				"gracefully: requests in progress finish, pending journal writes complete.",
			flags: flagsOf(serveFlags), local: serve},

		{name: "start", group: "instances", args: "NAME", min: 1, max: 1, summary: "start an orchestration",
			flags: flagsOf(startFlags), perform: start},
		{name: "run", group: "instances", args: "NAME", min: 1, max: 1, summary: "start an orchestration and wait until it ends",
			about: "The server waits, not the client: one request holds until the instance ends or\n" +
				"--timeout (24h at most) runs out. Prints the final status; the exit code says how\n" +
				"it ended.",
			flags: flagsOf(runFlags), perform: startAndWait},
		{name: "status", group: "instances", args: "ID", min: 1, max: 1, summary: "show an instance",
			flags: flagsOf(historyFlag), perform: showStatus},
		{name: "wait", group: "instances", args: "ID", min: 1, max: 1, summary: "wait until an instance ends",
			about: "Prints the final status; the exit code says how it ended.",
			flags: flagsOf(timeoutFlag), perform: wait},
		{name: "raise", group: "instances", args: "ID EVENT [JSON]", min: 2, max: 3, summary: "raise an external event",
			perform: raise},
		controlVerb("terminate", "end a running instance"),
		controlVerb("suspend", "pause a running instance"),
		controlVerb("resume", "resume a suspended instance"),
		controlVerb("rewind", "retry a failed instance from where it failed"),
		{name: "restart", group: "instances", args: "ID", min: 1, max: 1, summary: "start an instance again with the same input",
			flags: flagsOf(sameIDFlag), perform: restart},
		{name: "purge", group: "instances", args: "[ID]", min: 0, max: 1, summary: "delete a finished instance, or those a filter selects",
			about: "Without an ID, purges the finished instances the filters select; it needs at least\n" +
				"one filter, so that nothing is purged by accident. Prints how many it purged.",
			flags: flagsOf(purgeFlags), perform: purge},
		{name: "list", group: "instances", summary: "list instances by status, name, id prefix or creation time",
			flags: flagsOf(listFlags), perform: list},

		{name: "signal", group: "entities", args: "ENTITY KEY OP [JSON]", min: 3, max: 4, summary: "signal an entity operation",
			perform: signalEntity},
		{name: "entity", group: "entities", args: "ENTITY KEY", min: 2, max: 2, summary: "show an entity's state",
			perform: showEntity},
		{name: "entities", group: "entities", args: "[NAME]", min: 0, max: 1, summary: "list entities",
			perform: listEntities},

		{name: "members", group: "cluster", summary: "the members and how many partitions each owns",
			perform: showMembers},
		{name: "partitions", group: "cluster", summary: "who owns each partition, at which epoch",
			perform: showPartitions},

		{name: "help", group: "this tool", args: "[VERB]", min: 0, max: 1, summary: "this help, or a verb's",
			local: help, argChoices: verbNames},
		{name: "version", group: "this tool", summary: "the version of durable and of Go",
			local: version},
		{name: "completion", group: "this tool", args: "bash|zsh|fish", min: 1, max: 1, summary: "a shell completion script",
			about: "Load it with: source <(durable completion bash), source <(durable completion zsh),\n" +
				"or durable completion fish | source.",
			local: completion, argChoices: func() []string { return shells }},
	}
}

// flagsOf adapts a verb's typed flag definitions to the command table.
func flagsOf[T any](define func(fs *flag.FlagSet) T) func(fs *flag.FlagSet) any {
	return func(fs *flag.FlagSet) any { return define(fs) }
}

type startOpts struct {
	id, version *string
	input       jsonValue
}

func startFlags(fs *flag.FlagSet) *startOpts {
	o := &startOpts{
		id:      fs.String("id", "", "instance `ID` (default: generated)"),
		version: fs.String("version", "", "run the orchestrator's code registered at this `VERSION` (default: its default version)"),
	}
	fs.Var(&o.input, "input", "the orchestration's input, as `JSON`")
	return o
}

// query is what the start request says besides the body: the version, if one is named.
func (o *startOpts) query() url.Values {
	q := url.Values{}
	if *o.version != "" {
		q.Set("version", *o.version)
	}
	return q
}

func startPath(name, id string) string {
	path := "/api/orchestrators/" + url.PathEscape(name)
	if id != "" {
		path += "/" + url.PathEscape(id)
	}
	return path
}

func start(c *apiClient, args []string, opts any, p *printer) error {
	o := opts.(*startOpts)
	b, _, err := c.do("POST", startPath(args[0], *o.id), o.query(), o.input.doc, http.StatusAccepted)
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

// jsonValue is a flag holding a JSON document, checked as it is parsed.
type jsonValue struct{ doc []byte }

func (v *jsonValue) String() string { return string(v.doc) }

func (v *jsonValue) Set(s string) error {
	doc, err := checkJSON(s)
	v.doc = doc
	return err
}

// checkJSON checks a JSON argument; empty means no body.
func checkJSON(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if !json.Valid([]byte(s)) {
		return nil, errors.New(`not valid JSON (quote strings: '"text"')`)
	}
	return []byte(s), nil
}

// jsonArg checks a positional JSON argument.
func jsonArg(s string) ([]byte, error) {
	doc, err := checkJSON(s)
	if err != nil {
		return nil, usagef("argument %s: %v", s, err)
	}
	return doc, nil
}

func historyFlag(fs *flag.FlagSet) *bool { return fs.Bool("history", false, "include the history") }

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

func reasonFlag(fs *flag.FlagSet) *string {
	return fs.String("reason", "", "reason recorded with the operation")
}

// controlVerb is a verb that asks the server to do op to an instance, with a reason.
func controlVerb(op, summary string) *command {
	return &command{name: op, group: "instances", args: "ID", min: 1, max: 1, summary: summary,
		flags: flagsOf(reasonFlag), perform: control(op)}
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

func sameIDFlag(fs *flag.FlagSet) *bool {
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
