package actors

import (
	"reflect"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

func TestEntityRecordRoundTrip(t *testing.T) {
	seen := time.Date(2026, 11, 22, 10, 0, 0, 123, time.UTC)
	for _, rec := range []entityRecord{
		{},
		{State: []byte(`{"value":3}`), Incarnation: "abc"},
		{
			State:       []byte(`1`),
			Senders:     map[string]senderMark{"a/x": {Seq: 7, Seen: seen}, "key:1": {Seq: 1, Seen: seen}},
			Lock:        &lockRef{Owner: "o", ExecutionID: "x", TaskID: 3, Entities: []string{"@a@1", "@b@2"}},
			Held:        []entityMsg{{Kind: entityOp, Op: "add", Input: []byte("1"), From: "f", Seq: 2, Call: &callRef{InstanceID: "i", ExecutionID: "x", TaskID: 1}}},
			Incarnation: "n",
		},
	} {
		b, err := msgpack.Marshal(&rec)
		if err != nil {
			t.Fatal(err)
		}
		var got entityRecord
		if err := msgpack.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		for k, m := range got.Senders {
			m.Seen = m.Seen.UTC()
			got.Senders[k] = m
		}
		if !reflect.DeepEqual(got, rec) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, rec)
		}
	}
	if err := msgpack.Unmarshal([]byte{0x91, 0x02}, &entityRecord{}); err == nil {
		t.Fatal("a record of the wrong shape decoded")
	}
}
