package main

import (
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// runSplit runs the CLI in this process and returns what it printed on each stream.
func runSplit(args ...string) (stdout, stderr string, code int) {
	var out, errOut strings.Builder
	code = run(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		code      int
		stdoutBeg string // how stdout must begin; "" for nothing at all
		stdoutHas string
		stderrHas string
	}{
		{args: nil, code: exitUsage, stderrHas: "exit codes:"},
		{args: []string{"--help"}, code: exitOK, stdoutBeg: "usage: durable VERB", stdoutHas: "6  wait, run: the instance was still going"},
		{args: []string{"-h"}, code: exitOK, stdoutBeg: "usage: durable VERB"},
		{args: []string{"help"}, code: exitOK, stdoutBeg: "usage: durable VERB", stdoutHas: "completion bash|zsh|fish"},
		{args: []string{"help", "wait"}, code: exitOK, stdoutBeg: "usage: durable wait ID [FLAGS]", stdoutHas: "--timeout DURATION"},
		{args: []string{"help", "serve"}, code: exitOK, stdoutBeg: "usage: durable serve [FLAGS]", stdoutHas: "127.0.0.1:7071"},
		{args: []string{"help", "nope"}, code: exitUsage, stderrHas: `unknown verb "nope"`},
		{args: []string{"lst"}, code: exitUsage, stderrHas: `unknown verb "lst" (did you mean list?)`},
		{args: []string{"stat", "x"}, code: exitUsage, stderrHas: "(did you mean status?)"},
		{args: []string{"wiat", "x"}, code: exitUsage, stderrHas: "(did you mean wait?)"},
		{args: []string{"--server", "x", "list"}, code: exitUsage, stderrHas: "flags come after the verb"},
	} {
		stdout, stderr, code := runSplit(tc.args...)
		if code != tc.code || !strings.HasPrefix(stdout, tc.stdoutBeg) || (tc.stdoutBeg == "" && stdout != "") ||
			!strings.Contains(stdout, tc.stdoutHas) || !strings.Contains(stderr, tc.stderrHas) {
			t.Errorf("durable %q: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, stdout, stderr)
		}
	}
}

// TestVerbHelp asks every verb for its help both ways: a synopsis on stdout, exit 0.
func TestVerbHelp(t *testing.T) {
	for _, cmd := range commands {
		for _, flag := range []string{"--help", "-h"} {
			stdout, stderr, code := runSplit(cmd.name, flag)
			if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "usage: durable "+cmd.name) {
				t.Errorf("durable %s %s: exit %d\nstdout: %s\nstderr: %s", cmd.name, flag, code, stdout, stderr)
			}
		}
	}
	stdout, _, _ := runSplit("list", "--help")
	for _, want := range []string{"--name NAME", "--created-after TIME", "--created-before TIME", "--status STATUSES",
		"client flags:", "--output FORMAT", "--json"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("list --help lacks %q:\n%s", want, stdout)
		}
	}
}

// TestBadInput checks that mistakes are refused before anything is sent, with exit 2
// and a message that names what was wrong. The server address is a closed port: a
// request would end in exit 1.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--stauts", "Failed"}, "unknown flag --stauts (did you mean --status?)"},
		{[]string{"list", "--status", "Sleeping"}, `flag --status: unknown status "Sleeping"`},
		{[]string{"list", "--output", "xml"}, `invalid value "xml" for flag --output: want table, json, jsonl`},
		{[]string{"list", "--created-after", "yesterday"}, `invalid value "yesterday" for flag --created-after`},
		{[]string{"list", "--created-before", "-2h"}, `flag --created-before`},
		{[]string{"list", "--top", "0"}, "--top 0"},
		{[]string{"list", "--top"}, "flag needs an argument: --top"},
		{[]string{"purge", "--status", "Running"}, "Running instances cannot be purged"},
		{[]string{"purge"}, "say what to purge"},
		{[]string{"purge", "x", "--status", "Failed"}, "an instance ID or filters, not both"},
		{[]string{"wait"}, "missing arguments: want ID"},
		{[]string{"wait", "a", "b"}, `too many arguments: want ID, got ["a" "b"]`},
		{[]string{"wait", "x", "--timeout", "0"}, "flag --timeout: want a positive duration"},
		{[]string{"run", "X", "--timeout", "48h"}, "--timeout 48h0m0s: the server waits 24h0m0s at most"},
		{[]string{"start", "X", "--input", "{bad"}, `flag --input: not valid JSON`},
		{[]string{"raise", "x", "Go", "{bad"}, "argument {bad: not valid JSON"},
		{[]string{"members", "x"}, "takes no arguments"},
		{[]string{"completion", "tcsh"}, `unknown shell "tcsh"`},
		{[]string{"serve", "--cluster", "c"}, "--cluster needs --etcd and --peer"},
	} {
		args := tc.args
		if tc.args[0] != "serve" && tc.args[0] != "completion" {
			args = append([]string{tc.args[0], "--server", "http://127.0.0.1:1"}, tc.args[1:]...)
		}
		stdout, stderr, code := runSplit(args...)
		verb := "durable " + tc.args[0]
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, verb+": ") ||
			!strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "run '"+verb+" --help'") {
			t.Errorf("durable %q: exit %d, want %d and %q\nstdout: %s\nstderr: %s", tc.args, code, exitUsage, tc.want, stdout, stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	line := regexp.MustCompile(`^durable (\(devel\)|v\S+) ` + regexp.QuoteMeta(runtime.Version()) + "\n$")
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if stdout, stderr, code := runSplit(args...); code != exitOK || !line.MatchString(stdout) {
			t.Errorf("durable %q: exit %d\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
		}
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !line.Match(out) {
		t.Fatalf("built binary: %v: %s", err, out)
	}
}
