package durable_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every Go snippet of the README is code of the repository, word for word (a snippet of
// statements as the body of a function, one tab in), so that it compiles, and where a
// test runs it, works: a snippet no file holds has drifted.
func TestReadmeSnippetsAreCode(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources = append(sources, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(readme), "```go\n")[1:]
	if len(blocks) < 8 {
		t.Fatalf("the README has %d Go snippets; expected its usual ones", len(blocks))
	}
	for _, block := range blocks {
		code, _, _ := strings.Cut(block, "```")
		var inBody strings.Builder
		for line := range strings.Lines(code) {
			if strings.TrimSpace(line) != "" {
				inBody.WriteString("\t")
			}
			inBody.WriteString(line)
		}
		found := false
		for _, src := range sources {
			if strings.Contains(src, code) || strings.Contains(src, inBody.String()) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no Go file of the repository holds this README snippet:\n%s", code)
		}
	}
}
