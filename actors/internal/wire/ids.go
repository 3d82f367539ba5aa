package wire

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// The cluster kinds of the runtime's virtual actors. Orchestration instances are
// identified by their instance id; entities by "@name@key".
const (
	OrchestrationKind = "orchestration"
	EntityKind        = "entity"
)

// KindOf tells which actor kind an identity belongs to: entity ids start with '@',
// which orchestration instance ids may not.
func KindOf(id string) string {
	if strings.HasPrefix(id, "@") {
		return EntityKind
	}
	return OrchestrationKind
}

// NewID returns a random 128-bit id in hex: execution ids and entity incarnations.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
