package durable_test

import (
	"os"
	"strings"
	"testing"
)

// The README's versioning snippet is this example, line for line, so it compiles.
func TestReadmeVersionSnippetIsTheExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("version_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Changing an orchestrator: versions\n")
	if !ok {
		t.Fatal(`the README has no "Changing an orchestrator: versions" section`)
	}
	_, code, _ := strings.Cut(section, "```go\n")
	code, _, _ = strings.Cut(code, "```")
	for line := range strings.Lines(code) {
		if line = strings.TrimSpace(line); line != "" && !strings.Contains(string(example), line) {
			t.Errorf("README line not in the example: %s", line)
		}
	}
}
