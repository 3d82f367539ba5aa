package entities

import (
	"strings"
	"testing"
)

func TestIDString(t *testing.T) {
	for _, tc := range []struct {
		id   ID
		want string
	}{
		{ID{"Counter", "a"}, "@counter@a"},
		{ID{"counter", "a"}, "@counter@a"},
		{ID{"COUNTER", "Key-With-Case"}, "@counter@Key-With-Case"},
		{ID{"Ünïcode", "k"}, "@ünïcode@k"},
		{ID{"log", "a@b"}, "@log@a@b"},
		{ID{Name: "Counter"}, "@counter@"},
	} {
		if got := tc.id.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestIDNameIsCaseInsensitiveKeyIsNot(t *testing.T) {
	if (ID{"Counter", "a"}).String() != (ID{"cOUNTER", "a"}).String() {
		t.Error("names differing in case make different identities")
	}
	if (ID{"counter", "a"}).String() == (ID{"counter", "A"}).String() {
		t.Error("keys differing in case make the same identity")
	}
}

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    ID
		wantErr string // substring of the error; empty: no error
	}{
		{in: "@counter@a", want: ID{"counter", "a"}},
		{in: "@Counter@Key", want: ID{"Counter", "Key"}},
		{in: "@log@a@b", want: ID{"log", "a@b"}},
		{in: "@x@ spaces are fine ", want: ID{"x", " spaces are fine "}},
		{in: "", wantErr: "must start with '@'"},
		{in: "counter@a", wantErr: "must start with '@'"},
		{in: "@counter", wantErr: "no '@' between name and key"},
		{in: "@@a", wantErr: "invalid entity name: empty"},
		{in: "@counter@", wantErr: "invalid entity key: empty"},
		{in: "@coun/ter@a", wantErr: `character '/' is not allowed`},
		{in: "@counter@a/b", wantErr: `character '/' is not allowed`},
		{in: "@counter@a#b", wantErr: `character '#' is not allowed`},
		{in: "@counter@a?b", wantErr: `character '?' is not allowed`},
		{in: `@counter@a\b`, wantErr: `character '\\' is not allowed`},
		{in: "@counter@a\nb", wantErr: `character '\n' is not allowed`},
	} {
		got, err := ParseID(tc.in)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("ParseID(%q): %v", tc.in, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("ParseID(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
		case tc.wantErr == "" && got != tc.want:
			t.Errorf("ParseID(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestParseIDInvertsString(t *testing.T) {
	for _, id := range []ID{{"counter", "a"}, {"Counter", "MixedCase"}, {"log", "a@b@c"}, {"x", "ünïcode key"}} {
		got, err := ParseID(id.String())
		if err != nil {
			t.Fatalf("ParseID(%q): %v", id, err)
		}
		if got.String() != id.String() || got.Key != id.Key || !strings.EqualFold(got.Name, id.Name) {
			t.Errorf("ParseID(%q) = %#v, want %#v up to the case of the name", id, got, id)
		}
	}
}

func TestIDValidate(t *testing.T) {
	for _, tc := range []struct {
		id      ID
		wantErr string
	}{
		{id: ID{"Counter", "a"}},
		{id: ID{"counter", "a@b"}},
		{id: ID{"", "a"}, wantErr: `entity id "@@a": invalid entity name: empty`},
		{id: ID{"count@er", "a"}, wantErr: `invalid entity name "count@er": character '@' is not allowed`},
		{id: ID{"count/er", "a"}, wantErr: `character '/' is not allowed`},
		{id: ID{"counter", ""}, wantErr: `entity id "@counter@": invalid entity key: empty`},
		{id: ID{"counter", "a?b"}, wantErr: `entity id "@counter@a?b": invalid entity key "a?b": character '?' is not allowed`},
		{id: ID{"counter", "a\x00"}, wantErr: `character '\x00' is not allowed`},
		{id: ID{"counter", "a\\b"}, wantErr: `character '\\' is not allowed`},
	} {
		err := tc.id.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%#v.Validate(): %v", tc.id, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%#v.Validate() = %v, want an error containing %q", tc.id, err, tc.wantErr)
		}
	}
}
