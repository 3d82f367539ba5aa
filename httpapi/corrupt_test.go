package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// corruptible is the runtime's journal, with instances that read as corrupt: Load and
// Get fail with the *persistence.CorruptionError the Badger journal reports for a value
// that fails its checksum, and List leaves them out, as it does (the checksum sweep in
// persistence/badgerjournal checks the journal's side of this on real damage).
type corruptible struct {
	*badgerjournal.Journal
	corrupt sync.Map // instance id -> true
}

func (j *corruptible) corruption(id string) error {
	if _, ok := j.corrupt.Load(id); !ok {
		return nil
	}
	return &persistence.CorruptionError{InstanceID: id, Key: "i/" + id,
		Err: errors.New("checksum mismatch: the value is damaged, or was written under another key")}
}

func (j *corruptible) Load(ctx context.Context, id string) (*persistence.Instance, []history.Event, error) {
	if err := j.corruption(id); err != nil {
		return nil, nil, err
	}
	return j.Journal.Load(ctx, id)
}

func (j *corruptible) Get(ctx context.Context, id string, withPayloads bool) (*persistence.Instance, error) {
	if err := j.corruption(id); err != nil {
		return nil, err
	}
	return j.Journal.Get(ctx, id, withPayloads)
}

func (j *corruptible) List(ctx context.Context, q persistence.Query) ([]*persistence.Instance, string, error) {
	page, next, err := j.Journal.List(ctx, q)
	return slices.DeleteFunc(page, func(in *persistence.Instance) bool { return j.corruption(in.ID) != nil }), next, err
}

// markCorrupt makes id read as corrupt until restore is called.
func markCorrupt(id string) (restore func()) {
	journal.corrupt.Store(id, true)
	return func() { journal.corrupt.Delete(id) }
}

// A status query for an instance whose journal entry is corrupt answers 500 with the
// code InstanceCorrupt and a message naming it, not an anonymous internal error; a
// listing leaves it out and still answers; other instances keep answering.
func TestCorruptInstance(t *testing.T) {
	prefix := "corrupt-" + strings.ReplaceAll(t.Name(), "/", "-") + "-"
	bad, good := prefix+"bad", prefix+"good"
	for _, id := range []string{bad, good} {
		p := startOK(t, "Echo", id, `{"n":1}`)
		pollStatus(t, p["statusQueryGetUri"].(string), "Completed")
	}
	restore := markCorrupt(bad)
	defer restore()

	for _, q := range []string{"", "?showHistory=true", "?showInput=false"} {
		r := call(t, "GET", api("/instances/"+bad+q), "")
		expect(t, r, http.StatusInternalServerError)
		m := r.object(t)
		if m["error"] != "InstanceCorrupt" {
			t.Errorf("status%s of a corrupt instance: error code %v, want InstanceCorrupt: %s", q, m["error"], r.body)
		}
		if msg, _ := m["message"].(string); !strings.Contains(msg, `"`+bad+`"`) || !strings.Contains(msg, "corrupt") {
			t.Errorf("status%s of a corrupt instance: message %q does not name it as corrupt", q, msg)
		}
	}

	r := call(t, "GET", api("/instances/"+good), "")
	expect(t, r, http.StatusOK)
	if r.object(t)["instanceId"] != good {
		t.Errorf("status of %s beside a corrupt instance: %s", good, r.body)
	}

	r = call(t, "GET", api("/instances?instanceIdPrefix="+url.QueryEscape(prefix)), "")
	expect(t, r, http.StatusOK)
	var ids []string
	for _, st := range r.array(t) {
		ids = append(ids, st.(map[string]any)["instanceId"].(string))
	}
	if len(ids) != 1 || ids[0] != good {
		t.Errorf("listing beside a corrupt instance: %v, want [%s] (the corrupt one left out)", ids, good)
	}

	// Readable again, it answers again.
	restore()
	expect(t, call(t, "GET", api("/instances/"+bad), ""), http.StatusOK)
}
