// Package wire defines the messages virtual actors exchange and the envelope that
// carries them between processes.
//
// protoactor only carries registered protobuf messages between processes (plain
// structs are dropped, unknown proto types crash the receiver), so every message that
// may cross travels as one proto type, anypb.Any, whose TypeUrl names the message and
// whose Value is its msgpack encoding. The same bytes are what an outbox stores until
// the receiver acknowledged the message.
package wire
