package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// printUsage prints the general help: the verbs, the client flags and the exit codes.
func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: durable VERB [ARGS] [FLAGS]")
	var rows [][2]string
	group := ""
	for _, cmd := range commands {
		if cmd.group != group {
			group = cmd.group
			rows = append(rows, [2]string{"\n" + group + ":"})
		}
		rows = append(rows, [2]string{"  " + strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary})
	}
	printRows(w, rows)
	fmt.Fprint(w, `
Client verbs talk to --server URL (default http://127.0.0.1:7071, or $DURABLE_SERVER)
with --api-key KEY (default $DURABLE_API_KEY), and print a table or text, or JSON with
--output json or jsonl (--json is --output json). 'durable VERB --help' shows a verb's
flags.

exit codes:
`)
	for _, e := range exitCodes {
		fmt.Fprintf(w, "  %d  %s\n", e.code, e.meaning)
	}
}

// printRows prints two columns, the second aligned; a row without a second column
// is a heading.
func printRows(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		if r[1] != "" {
			width = max(width, len(r[0]))
		}
	}
	for _, r := range rows {
		if r[1] == "" {
			fmt.Fprintln(w, r[0])
			continue
		}
		fmt.Fprintf(w, "%-*s  %s\n", width, r[0], r[1])
	}
}

// help prints the verb's own help: its synopsis, what it does, and its flags.
func (cmd *command) help(w io.Writer) {
	fs, _, _ := cmd.flagSet()
	synopsis := strings.TrimSpace("durable " + cmd.name + " " + cmd.args)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		synopsis += " [FLAGS]"
	}
	fmt.Fprintf(w, "usage: %s\n\n%s%s.\n", synopsis, strings.ToUpper(cmd.summary[:1]), cmd.summary[1:])
	if cmd.about != "" {
		fmt.Fprintln(w, cmd.about)
	}
	client := map[string]bool{}
	if cmd.perform != nil {
		client = clientFlagNames()
	}
	printFlags(w, "flags", fs, func(name string) bool { return !client[name] })
	printFlags(w, "client flags", fs, func(name string) bool { return client[name] })
}

// printFlags prints the flags of fs that keep selects, under a heading.
func printFlags(w io.Writer, heading string, fs *flag.FlagSet, keep func(name string) bool) {
	rows := [][2]string{{"\n" + heading + ":"}}
	fs.VisitAll(func(f *flag.Flag) {
		if !keep(f.Name) {
			return
		}
		arg, usage := flag.UnquoteUsage(f)
		switch f.DefValue {
		case "", "0", "false", "0s":
		default:
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		rows = append(rows, [2]string{strings.TrimRight("  "+flagSpelling(f.Name)+" "+arg, " "), usage})
	})
	if len(rows) > 1 {
		printRows(w, rows)
	}
}

func clientFlagNames() map[string]bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	clientFlags(fs)
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
}

// lookup finds a verb by name; a mistyped one gets the closest known verb suggested.
func lookup(name string) (*command, error) {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd, nil
		}
	}
	if strings.HasPrefix(name, "-") {
		return nil, fmt.Errorf("%s: flags come after the verb (durable VERB [ARGS] [FLAGS]); run 'durable help' for the verbs", name)
	}
	msg := fmt.Sprintf("unknown verb %q", name)
	if near := closest(name, verbNames()); near != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", near)
	}
	return nil, fmt.Errorf("%s; run 'durable help' for the verbs", msg)
}

func verbNames() []string {
	names := make([]string, len(commands))
	for i, cmd := range commands {
		names[i] = cmd.name
	}
	return names
}

// closest returns the candidate word most likely meant: the only one it begins, or
// else the nearest within two edits; "" if none is near.
func closest(word string, candidates []string) string {
	var prefixed []string
	for _, c := range candidates {
		if strings.HasPrefix(c, word) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance counts the insertions, deletions, substitutions and swaps of adjacent
// letters that turn a into b.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// help is the help verb.
func help(args []string, _ any, stdout, _ io.Writer) error {
	if len(args) == 0 {
		printUsage(stdout)
		return nil
	}
	cmd, err := lookup(args[0])
	if err != nil {
		return &usageError{err}
	}
	cmd.help(stdout)
	return nil
}

// version prints the module version the binary was built from and the Go version.
// A build of a checkout is "(devel)", or since Go 1.24 a pseudo-version naming the
// commit.
func version(_ []string, _ any, stdout, _ io.Writer) error {
	v := "(devel)"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		v = info.Main.Version
	}
	_, err := fmt.Fprintf(stdout, "durable %s %s\n", v, runtime.Version())
	return err
}
