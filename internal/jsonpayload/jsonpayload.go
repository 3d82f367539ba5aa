// Package jsonpayload encodes and decodes the JSON payloads the runtime stores: inputs,
// results, event data and entity state. It produces exactly what encoding/json does,
// but answers the common small cases (strings of plain text, integers, booleans, raw
// JSON) without reflection, since every activity call and completion passes through
// here several times and encoding/json's reflection dominated those paths.
package jsonpayload

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Marshal is json.Marshal.
func Marshal(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		if b, ok := plainString(x); ok {
			return b, nil
		}
	case *string:
		if x != nil {
			if b, ok := plainString(*x); ok {
				return b, nil
			}
		}
	case int:
		return strconv.AppendInt(nil, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(nil, x, 10), nil
	case bool:
		return strconv.AppendBool(nil, x), nil
	case json.RawMessage:
		if x == nil {
			return []byte("null"), nil
		}
		if json.Valid(x) && isCompact(x) {
			return append([]byte(nil), x...), nil // the caller may reuse its buffer
		}
	}
	return json.Marshal(v)
}

// Unmarshal is json.Unmarshal.
func Unmarshal(data []byte, v any) error {
	switch x := v.(type) {
	case *string:
		if s, ok := PlainString(data); ok {
			*x = s
			return nil
		}
	case *int:
		if n, ok := PlainInt(data, strconv.IntSize); ok {
			*x = int(n)
			return nil
		}
	case *int64:
		if n, ok := PlainInt(data, 64); ok {
			*x = n
			return nil
		}
	case *bool:
		switch string(data) {
		case "true":
			*x = true
			return nil
		case "false":
			*x = false
			return nil
		}
	}
	return json.Unmarshal(data, v)
}

// plainString encodes s when no byte of it needs escaping, as encoding/json would:
// printable ASCII other than the quote, the backslash and the HTML characters it
// escapes (<, >, &).
func plainString(s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if !plain(s[i]) {
			return nil, false
		}
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

func plain(c byte) bool {
	return c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}

// PlainString decodes a JSON string without escapes (the plain case callers take
// without encoding/json), whose bytes are valid UTF-8
// and free of control characters; encoding/json handles everything else.
func PlainString(data []byte) (string, bool) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return "", false
	}
	body := data[1 : len(data)-1]
	ascii := true
	for _, c := range body {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(body) {
		return "", false // encoding/json replaces invalid bytes with U+FFFD
	}
	return string(body), true
}

// PlainInt decodes a JSON integer: strconv alone would also take "+1" and "01",
// which are not JSON.
func PlainInt(data []byte, bits int) (int64, bool) {
	digits := data
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(data), 10, bits)
	return n, err == nil
}

// isCompact reports whether valid JSON b holds no insignificant whitespace, which
// json.Marshal would remove from a RawMessage.
func isCompact(b []byte) bool {
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		case inString && (c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&'):
			return false // json.Marshal escapes some of these; let it decide
		}
	}
	return true
}
