package validate

import (
	"strings"
	"testing"
)

// Ids that could not be reached again (invalid UTF-8) or that look like another id
// (invisible bidi and zero-width marks) are refused where they come in.
func TestIDsRefuseUnreachableAndLookAlikes(t *testing.T) {
	bad := map[string]string{
		"invalid UTF-8":   "order-\xff\xfe",
		"right-to-left":   "order-\u202e1",
		"zero-width":      "order\u200b-1",
		"byte-order mark": "\ufefforder-1",
		"slash":           "a/b",
		"control":         "a\x00b",
	}
	for what, id := range bad {
		if InstanceID(id) == nil {
			t.Errorf("instance id with %s accepted", what)
		}
		if EntityKey(id) == nil {
			t.Errorf("entity key with %s accepted", what)
		}
	}
	for _, ok := range []string{"order-1", "заказ-1", "注文-1", "a b", "emoji-🎉", strings.Repeat("x", MaxInstanceIDLength)} {
		if err := InstanceID(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
		if err := EntityKey(ok); err != nil {
			t.Errorf("%q refused as a key: %v", ok, err)
		}
	}
}

func TestLengthsAreBounded(t *testing.T) {
	long := strings.Repeat("k", MaxNameLength+1)
	for what, err := range map[string]error{
		"instance id": InstanceID(long), "entity key": EntityKey(long), "entity name": EntityName(long),
		"event name": Name("event name", long), "version": Version(long),
	} {
		if err == nil || !strings.Contains(err.Error(), "at most 256") {
			t.Errorf("%s of %d bytes: %v", what, len(long), err)
		}
	}
	if err := Name("event name", "Approval"); err != nil {
		t.Fatal(err)
	}
	if err := Name("event name", "bad\xff"); err == nil {
		t.Fatal("event name with invalid UTF-8 accepted")
	}
}

// Versions print and travel in URLs as they read; empty is the unversioned code.
func TestVersions(t *testing.T) {
	for _, ok := range []string{"", "2", "1.4.0-rc.1", "2026-11 checkout", "версия-2"} {
		if err := Version(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for what, v := range map[string]string{"invalid UTF-8": "v\xff", "newline": "1\n2", "zero-width": "1\u200b"} {
		if err := Version(v); err == nil || !strings.Contains(err.Error(), "invalid version") {
			t.Errorf("version with %s: %v", what, err)
		}
	}
}
