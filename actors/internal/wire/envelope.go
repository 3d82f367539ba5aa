package wire

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// typePrefix starts the TypeUrl of every message of ours; stored outbox messages hold
// it, so the names below never change.
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
	registerMessage[Start]("start")
	registerMessage[Raise]("raise")
	registerMessage[Control]("control")
	registerMessage[Timer]("timer")
	registerMessage[ChildDone]("childDone")
	registerMessage[Reply]("reply")
	registerMessage[Delivered]("delivered")
	registerMessage[Read]("read")
	registerMessage[WaitFor]("waitFor")
	registerMessage[ReadResult]("readResult")
	registerMessage[List]("list")
	registerMessage[ListResult]("listResult")
	registerMessage[Work]("work")
	registerMessage[WorkDone]("workDone")
	registerMessage[WorkLost]("workLost")
}

// Pack wraps a message for the wire.
func Pack(m any) (*anypb.Any, error) {
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

// Encode turns a message into bytes for the outbox, which stores it until the
// receiver acknowledged it.
func Encode(m any) ([]byte, error) {
	a, err := Pack(m)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(a)
}

// Decode reverses Encode.
func Decode(b []byte) (any, error) {
	var a anypb.Any
	if err := proto.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("decode stored message: %w", err)
	}
	return Unpack(&a)
}

// Unpack decodes a message packed by Pack.
func Unpack(a *anypb.Any) (any, error) {
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
