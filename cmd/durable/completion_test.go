package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// completionScript writes the script for shell to a file, skipping the test when the
// shell is not installed.
func completionScript(t *testing.T, shell string) (path, script string) {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		if os.Getenv("DURABLE_REQUIRE_SHELLS") != "" {
			t.Fatalf("%s is not installed, and DURABLE_REQUIRE_SHELLS is set", shell)
		}
		t.Skipf("%s is not installed", shell)
	}
	stdout, stderr, code := runSplit("completion", shell)
	if code != exitOK || stderr != "" {
		t.Fatalf("completion %s: exit %d: %s", shell, code, stderr)
	}
	path = filepath.Join(t.TempDir(), "durable."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, stdout
}

// completionCases are command lines and what completing their last word must offer.
var completionCases = []struct {
	line string
	want []string
	not  []string
}{
	{"durable li", []string{"list"}, nil},
	{"durable list --st", []string{"--status"}, nil},
	{"durable list --status F", []string{"Failed"}, nil},
	{"durable purge --status ", []string{"Completed", "Failed", "Terminated", "Canceled"}, []string{"Running"}},
	{"durable purge --created-", []string{"--created-after", "--created-before"}, nil},
	{"durable run X --output j", []string{"json", "jsonl"}, []string{"table"}},
	{"durable serve --ht", []string{"--http"}, []string{"--server"}},
	{"durable help wa", []string{"wait"}, nil},
	{"durable completion ", []string{"bash", "zsh", "fish"}, nil},
}

func checkCompletion(t *testing.T, shell, line string, got []string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: %q offers %q, want %q among them", shell, line, got, w)
		}
	}
	for _, n := range not {
		if slices.Contains(got, n) {
			t.Errorf("%s: %q offers %q, which it should not", shell, line, n)
		}
	}
}

func TestBashCompletion(t *testing.T) {
	path, _ := completionScript(t, "bash")
	for _, tc := range completionCases {
		words := strings.Fields(tc.line)
		if strings.HasSuffix(tc.line, " ") {
			words = append(words, "")
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = quote(w)
		}
		script := `source "$1"; COMP_WORDS=(` + strings.Join(quoted, " ") + `); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _durable; printf '%s\n' "${COMPREPLY[@]}"`
		out, err := exec.Command("bash", "-c", script, "bash", path).CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v: %s", tc.line, err, out)
		}
		checkCompletion(t, "bash", tc.line, strings.Fields(string(out)), tc.want, tc.not)
	}
}

func TestFishCompletion(t *testing.T) {
	path, _ := completionScript(t, "fish")
	for _, tc := range completionCases {
		out, err := exec.Command("fish", "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, path, tc.line).CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v: %s", tc.line, err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
		checkCompletion(t, "fish", tc.line, got, tc.want, tc.not)
	}
}

// TestZshCompletion loads the script as a user would, after compinit, and runs its
// completion function with zsh's own helpers replaced by ones that print what they
// are given: the specs _arguments would complete from.
func TestZshCompletion(t *testing.T) {
	path, _ := completionScript(t, "zsh")
	script := `autoload -U compinit && compinit -u -d "$2" && source "$1" || exit 1
print -r -- "registered $_comps[durable]"
_describe() { print -r -l -- "${(@P)${@[-1]}}" }
_arguments() { print -r -l -- "$@" }
words=(durable purge --status '') CURRENT=4 _durable
words=(durable l) CURRENT=2 _durable`
	out, err := exec.Command("zsh", "-f", "-c", script, "zsh", path, filepath.Join(t.TempDir(), "zcompdump")).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, want := range []string{
		"registered _durable",
		"--status[purge the instances that ended so\\: STATUSES, comma separated (default\\: any finished)]:STATUSES:(Completed Failed Canceled Terminated)",
		"--created-before[created before TIME (RFC 3339, or a duration such as 90m, 24h or 7d meaning that long ago)]:TIME: ",
		"--json[the same as --output json]",
		"list:list instances by status, name, id prefix or creation time",
	} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("zsh completion lacks %q:\n%s", want, out)
		}
	}
}
