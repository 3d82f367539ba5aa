package jsonpayload

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Every fast path must agree with encoding/json, byte for byte and error for error.

func sameMarshal(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := Marshal(v)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("Marshal(%#v) = %q, %v; encoding/json: %q, %v", v, got, err, want, wantErr)
	}
}

func sameUnmarshal[T any](t *testing.T, data []byte) {
	t.Helper()
	var want, got T
	wantErr := json.Unmarshal(data, &want)
	err := Unmarshal(data, &got)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("Unmarshal(%q) into %T: error %v; encoding/json: %v", data, got, err, wantErr)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if !bytes.Equal(a, b) {
		t.Fatalf("Unmarshal(%q) into %T = %s; encoding/json: %s", data, got, a, b)
	}
}

var samples = []string{
	`"Hello Tokyo"`, `""`, `"a\"b"`, `"tab\there"`, `"<b>&"`, `"é"`, "\"\xff\"", "\"\x01\"", `"\u00e9"`,
	`0`, `-0`, `7`, `-12`, `+1`, `01`, `1e3`, `1.5`, `9223372036854775807`, `9223372036854775808`,
	`true`, `false`, `null`, `tru`, `"unterminated`, ` "padded" `, `[1,2]`, `{"a":1}`, ``,
}

func TestUnmarshalAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range samples {
		sameUnmarshal[string](t, []byte(s))
		sameUnmarshal[int](t, []byte(s))
		sameUnmarshal[int64](t, []byte(s))
		sameUnmarshal[bool](t, []byte(s))
	}
}

func TestMarshalAgreesWithEncodingJSON(t *testing.T) {
	str := "x"
	for _, v := range []any{
		"Hello Tokyo", "", `a"b`, "<script>", "a&b", "é", "\xff", "\u2028", "tab\t", &str, (*string)(nil),
		0, -7, int64(1) << 62, true, false,
		json.RawMessage(`{"a":1}`), json.RawMessage(`{ "a" : 1 }`), json.RawMessage(`"<"`), json.RawMessage(nil),
		json.RawMessage(`{bad`), map[string]int{"b": 2, "a": 1}, []string{"x"},
	} {
		sameMarshal(t, v)
	}
}

func FuzzUnmarshalString(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameUnmarshal[string](t, data)
		sameUnmarshal[int](t, data)
		sameUnmarshal[bool](t, data)
	})
}

func FuzzMarshalString(f *testing.F) {
	f.Add("Hello Tokyo")
	f.Add("<&>\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		sameMarshal(t, s)
		sameMarshal(t, json.RawMessage(s))
	})
}

func BenchmarkUnmarshalString(b *testing.B) {
	data := []byte(`"Hello Tokyo"`)
	for b.Loop() {
		var s string
		if err := Unmarshal(data, &s); err != nil {
			b.Fatal(err)
		}
	}
}
