package wire

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// BenchmarkEnvelope measures what a message costs when it crosses processes: packing
// into the protobuf envelope, protobuf encoding, and the reverse.
func BenchmarkEnvelope(b *testing.B) {
	msgs := map[string]any{
		"start":  &Start{Name: "HelloSequence5", Input: []byte(`"world"`), ExecutionID: "0123456789abcdef0123456789abcdef"},
		"entity": &EntityMsg{Kind: EntityOperation, Op: "add", Input: []byte("1"), From: "client/1", Seq: 42},
		"reply":  &Reply{Code: CodeOK},
	}
	for name, m := range msgs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a, err := Pack(m)
				if err != nil {
					b.Fatal(err)
				}
				wire, err := proto.Marshal(a)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Decode(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
