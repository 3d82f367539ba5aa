package actors

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Messages to virtual actors may cross processes, and protoactor only carries
// registered protobuf messages between processes (plain structs are dropped, unknown
// proto types crash the receiver). So every such message travels as one proto type,
// anypb.Any, whose TypeUrl names our message and whose Value is its msgpack encoding.
const typePrefix = "durable/"

var (
	typeNames = map[string]func() any{}
	typeURLs  = map[string]string{} // Go type name → TypeUrl
)

func registerMessage[T any](name string) {
	url := typePrefix + name
	typeNames[url] = func() any { return new(T) }
	typeURLs[fmt.Sprintf("%T", new(T))] = url
}

func init() {
	registerMessage[startMsg]("start")
	registerMessage[raiseMsg]("raise")
	registerMessage[controlMsg]("control")
	registerMessage[timerMsg]("timer")
	registerMessage[childDoneMsg]("childDone")
	registerMessage[replyMsg]("reply")
	registerMessage[deliveredMsg]("delivered")
}

// pack wraps a message for the wire.
func pack(m any) (*anypb.Any, error) {
	url, ok := typeURLs[fmt.Sprintf("%T", m)]
	if !ok {
		return nil, fmt.Errorf("message type %T is not registered", m)
	}
	b, err := msgpack.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", m, err)
	}
	return &anypb.Any{TypeUrl: url, Value: b}, nil
}

// encodeMessage turns a message into bytes for the outbox, which stores it until the
// receiver acknowledged it.
func encodeMessage(m any) ([]byte, error) {
	a, err := pack(m)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(a)
}

// decodeMessage reverses encodeMessage.
func decodeMessage(b []byte) (any, error) {
	var a anypb.Any
	if err := proto.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("decode stored message: %w", err)
	}
	return unpack(&a)
}

// unpack decodes a message packed by pack.
func unpack(a *anypb.Any) (any, error) {
	mk, ok := typeNames[a.TypeUrl]
	if !ok {
		return nil, fmt.Errorf("unknown message type %q", a.TypeUrl)
	}
	m := mk()
	if err := msgpack.Unmarshal(a.Value, m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", a.TypeUrl, err)
	}
	return m, nil
}
