package durabletest_test

import (
	"os"
	"strings"
	"testing"
)

// The README's Go snippets about testing are this package's example tests, word for
// word, so they compile and pass.
func TestReadmeSnippetsAreExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Testing your orchestrations\n")
	if !ok {
		t.Fatal(`the README has no "Testing your orchestrations" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	snippets := 0
	for _, block := range strings.Split(section, "```go\n")[1:] {
		code, _, _ := strings.Cut(block, "```")
		if !strings.Contains(string(examples), code) {
			t.Errorf("this README snippet is not in example_test.go:\n%s", code)
		}
		snippets++
	}
	if snippets == 0 {
		t.Fatal("the README's testing section has no Go snippet")
	}
}
