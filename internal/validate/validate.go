// Package validate holds the naming rules of the Durable Functions model, shared by the
// client, the HTTP API and the engine so every door refuses the same ids.
package validate

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxInstanceIDLength is the longest instance id accepted, in bytes; entity names and
// keys, event names and operation names have the same bound.
const MaxInstanceIDLength = 256

// MaxNameLength bounds entity names and keys, event names and operation names, in bytes.
const MaxNameLength = MaxInstanceIDLength

// InstanceID checks an orchestration instance id: non-empty, at most 256 bytes of
// UTF-8, not starting with '@' (entity ids do), and free of '/', '\', '#', '?',
// control characters (they break URLs and key encodings) and invisible formatting
// characters (bidi and zero-width marks make look-alike ids).
func InstanceID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("invalid instance id: empty")
	case len(id) > MaxInstanceIDLength:
		return fmt.Errorf("invalid instance id %.40q...: %d bytes, at most %d allowed", id, len(id), MaxInstanceIDLength)
	case strings.HasPrefix(id, "@"):
		return fmt.Errorf("invalid instance id %q: must not start with '@'", id)
	}
	if c, ok := badChar(id); ok {
		return fmt.Errorf("invalid instance id %q: character %q is not allowed", id, c)
	}
	return nil
}

// EntityName checks an entity name: non-empty, at most 256 bytes, no '@' and the
// characters InstanceID refuses.
func EntityName(name string) error {
	if name == "" {
		return fmt.Errorf("invalid entity name: empty")
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("invalid entity name %.40q...: %d bytes, at most %d allowed", name, len(name), MaxNameLength)
	}
	if strings.ContainsRune(name, '@') {
		return fmt.Errorf("invalid entity name %q: character '@' is not allowed", name)
	}
	if c, ok := badChar(name); ok {
		return fmt.Errorf("invalid entity name %q: character %q is not allowed", name, c)
	}
	return nil
}

// EntityKey checks an entity key: non-empty, at most 256 bytes, free of the
// characters InstanceID refuses.
func EntityKey(key string) error {
	if key == "" {
		return fmt.Errorf("invalid entity key: empty")
	}
	if len(key) > MaxNameLength {
		return fmt.Errorf("invalid entity key %.40q...: %d bytes, at most %d allowed", key, len(key), MaxNameLength)
	}
	if c, ok := badChar(key); ok {
		return fmt.Errorf("invalid entity key %q: character %q is not allowed", key, c)
	}
	return nil
}

// Name checks an event or operation name (what says which): non-empty, at most 256
// bytes of valid UTF-8. Names are matched, not addressed, so other characters pass.
func Name(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("invalid %s: empty", what)
	case len(name) > MaxNameLength:
		return fmt.Errorf("invalid %s %.40q...: %d bytes, at most %d allowed", what, name, len(name), MaxNameLength)
	case !utf8.ValidString(name):
		return fmt.Errorf("invalid %s %q: not valid UTF-8", what, name)
	}
	return nil
}

// badChar returns the first character of s that ids must not hold; invalid UTF-8
// comes back as utf8.RuneError.
func badChar(s string) (rune, bool) {
	for _, r := range s {
		if r == utf8.RuneError || r == '/' || r == '\\' || r == '#' || r == '?' ||
			unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return r, true
		}
	}
	return 0, false
}

// Version checks an orchestration version: at most 256 bytes of UTF-8 free of control
// and invisible formatting characters, so that it prints, logs and travels in a URL
// as it reads. Empty is the unversioned code.
func Version(v string) error {
	if len(v) > MaxNameLength {
		return fmt.Errorf("invalid version %.40q...: %d bytes, at most %d allowed", v, len(v), MaxNameLength)
	}
	for _, r := range v {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("invalid version %q: character %q is not allowed", v, r)
		}
	}
	return nil
}

// DescribeVersion writes a version for a message: quoted, or "(unversioned)" for the
// unversioned code, so that every door names versions alike.
func DescribeVersion(v string) string {
	if v == "" {
		return "(unversioned)"
	}
	return strconv.Quote(v)
}
