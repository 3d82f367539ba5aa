// Package validate holds the naming rules of the Durable Functions model, shared by the
// client, the HTTP API and the engine so every door refuses the same ids.
package validate

import (
	"fmt"
	"strings"
	"unicode"
)

// MaxInstanceIDLength is the longest instance id accepted.
const MaxInstanceIDLength = 256

// InstanceID checks an orchestration instance id: non-empty, at most 256 characters,
// not starting with '@' (entity ids do), and free of '/', '\', '#', '?' and control
// characters (they break URLs and key encodings).
func InstanceID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("invalid instance id: empty")
	case len(id) > MaxInstanceIDLength:
		return fmt.Errorf("invalid instance id %.40q...: %d characters, at most %d allowed", id, len(id), MaxInstanceIDLength)
	case strings.HasPrefix(id, "@"):
		return fmt.Errorf("invalid instance id %q: must not start with '@'", id)
	}
	if c, ok := badChar(id); ok {
		return fmt.Errorf("invalid instance id %q: character %q is not allowed", id, c)
	}
	return nil
}

// EntityName checks an entity name: non-empty, no '@' and the characters InstanceID refuses.
func EntityName(name string) error {
	if name == "" {
		return fmt.Errorf("invalid entity name: empty")
	}
	if strings.ContainsRune(name, '@') {
		return fmt.Errorf("invalid entity name %q: character '@' is not allowed", name)
	}
	if c, ok := badChar(name); ok {
		return fmt.Errorf("invalid entity name %q: character %q is not allowed", name, c)
	}
	return nil
}

// EntityKey checks an entity key: non-empty, free of '/', '\', '#', '?' and control characters.
func EntityKey(key string) error {
	if key == "" {
		return fmt.Errorf("invalid entity key: empty")
	}
	if c, ok := badChar(key); ok {
		return fmt.Errorf("invalid entity key %q: character %q is not allowed", key, c)
	}
	return nil
}

func badChar(s string) (rune, bool) {
	for _, r := range s {
		if r == '/' || r == '\\' || r == '#' || r == '?' || unicode.IsControl(r) {
			return r, true
		}
	}
	return 0, false
}
