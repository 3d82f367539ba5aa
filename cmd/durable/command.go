package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// command is one verb: where the help lists it, its arguments and flags, and what it
// does with them.
type command struct {
	name    string
	group   string // the heading it is listed under in the general help
	args    string // the positional arguments, as the synopsis shows them
	min     int
	max     int
	summary string // its line in the general help
	about   string // more for its own help, if a line is not enough
	flags   func(fs *flag.FlagSet) any
	// A client verb talks to a server through perform; the others (serve, help...)
	// need none and run through local.
	perform func(c *apiClient, args []string, opts any, out *printer) error
	local   func(args []string, opts any, stdout, stderr io.Writer) error
	// argChoices lists what the first argument can be, for shell completion.
	argChoices func() []string
}

// run parses the verb's command line and does it, returning the exit code.
func (cmd *command) run(args []string, stdout, stderr io.Writer) int {
	fs, client, opts := cmd.flagSet()
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		cmd.help(stdout)
		return exitOK
	case err != nil:
		return cmd.report(stderr, &usageError{flagError(fs, err)})
	case len(pos) < cmd.min:
		return cmd.report(stderr, usagef("missing arguments: want %s", cmd.args))
	case len(pos) > cmd.max && cmd.max == 0:
		return cmd.report(stderr, usagef("takes no arguments, got %q", pos))
	case len(pos) > cmd.max:
		return cmd.report(stderr, usagef("too many arguments: want %s, got %q", cmd.args, pos))
	}
	if cmd.local != nil {
		return cmd.report(stderr, cmd.local(pos, opts, stdout, stderr))
	}
	c := &apiClient{server: *client.server, key: cmp.Or(*client.key, os.Getenv("DURABLE_API_KEY")), http: &http.Client{Timeout: 60 * time.Second}}
	return cmd.report(stderr, cmd.perform(c, pos, opts, &printer{w: stdout, format: client.output}))
}

// flagSet defines the verb's flags, and the client flags if it talks to a server.
func (cmd *command) flagSet() (*flag.FlagSet, *clientOpts, any) {
	fs := flag.NewFlagSet("durable "+cmd.name, flag.ContinueOnError)
	// The help and the errors are printed here, in the same words for every verb.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var client *clientOpts
	if cmd.perform != nil {
		client = clientFlags(fs)
	}
	var opts any
	if cmd.flags != nil {
		opts = cmd.flags(fs)
	}
	return fs, client, opts
}

// report prints err and returns the exit code it calls for; nil is success.
func (cmd *command) report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "durable %s: %v\n", cmd.name, err)
	code := exitCode(err)
	if code == exitUsage {
		fmt.Fprintf(stderr, "run 'durable %s --help' for its usage\n", cmd.name)
	}
	return code
}

// usageError is a mistake in the command line.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// endedError is an instance that ended other than Completed, for wait and run.
type endedError struct{ id, status string }

func (e *endedError) Error() string { return fmt.Sprintf("instance %s ended %s", e.id, e.status) }

// timeoutError is an instance still going when the wait ran out.
type timeoutError struct {
	id    string
	after time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("instance %s still going after %v; 'durable wait %s' waits on", e.id, e.after, e.id)
}

func exitCode(err error) int {
	var usage *usageError
	var ended *endedError
	var timeout *timeoutError
	var refused *apiError
	switch {
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &ended) && ended.status == "Failed":
		return exitFailed
	case errors.As(err, &ended):
		return exitTerminated
	case errors.As(err, &timeout):
		return exitTimeout
	case errors.As(err, &refused) && refused.status == http.StatusNotFound:
		return exitNotFound
	}
	return exitError
}

// flagError rewords the flag package's errors: it spells flags with one dash where
// the help spells them with two, and an unknown flag gets the closest known one.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		name = strings.TrimPrefix(name, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg = "unknown flag " + flagSpelling(name)
		if near := closest(name, names); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", flagSpelling(near))
		}
		return errors.New(msg)
	}
	return errors.New(strings.NewReplacer("flag -", "flag --", "argument: -", "argument: --", "for -", "for --").Replace(msg))
}

// flagSpelling is how the help writes a flag: -v, --timeout.
func flagSpelling(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
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

// clientOpts are the flags of every verb that talks to a server.
type clientOpts struct {
	server, key *string
	output      outputFormat
}

func clientFlags(fs *flag.FlagSet) *clientOpts {
	o := &clientOpts{
		server: fs.String("server", cmp.Or(os.Getenv("DURABLE_SERVER"), "http://127.0.0.1:7071"), "server `URL` ($DURABLE_SERVER)"),
		// Read from the environment after parsing, so that the help never shows it.
		key:    fs.String("api-key", "", "API `KEY` (default $DURABLE_API_KEY)"),
		output: formatTable,
	}
	fs.Var(&o.output, "output", "`FORMAT`: table (for people), json, or jsonl (a list's items one a line)")
	fs.BoolFunc("json", "the same as --output json", func(s string) error {
		on, err := strconv.ParseBool(s)
		if on {
			o.output = formatJSON
		}
		return err
	})
	return o
}
