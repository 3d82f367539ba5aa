package entity

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/godurable/durable/actors/internal/wire"
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
			Lock:        &wire.LockRef{Owner: "o", ExecutionID: "x", TaskID: 3, Entities: []string{"@a@1", "@b@2"}},
			Held:        []wire.EntityMsg{{Kind: wire.EntityOperation, Op: "add", Input: []byte("1"), From: "f", Seq: 2, Call: &wire.CallRef{InstanceID: "i", ExecutionID: "x", TaskID: 1}}},
			Incarnation: "n",
			Scheduled:   []int64{1 << 20, 3<<20 | 1},
		},
		{Scheduled: []int64{5}, TimersUnlisted: true},
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

// A record written before scheduled signals were listed still decodes; its timers,
// not listed, all apply when they fire.
func TestEntityRecordVersion1(t *testing.T) {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	_ = e.EncodeArrayLen(6)
	_ = e.EncodeInt(1)
	_ = e.EncodeBytes([]byte(`2`))
	_ = e.EncodeMapLen(0)
	_ = e.EncodeNil()
	_ = e.EncodeNil()
	_ = e.EncodeString("inc")
	var got entityRecord
	if err := msgpack.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if string(got.State) != "2" || got.Incarnation != "inc" || !got.TimersUnlisted || got.empty() {
		t.Fatalf("version 1 record read as %+v", got)
	}
}
