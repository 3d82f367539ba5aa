package entities

import (
	"fmt"
	"strings"

	"github.com/godurable/durable/internal/validate"
)

// ID identifies an entity: Name is the kind of entity (the registered entity
// function), compared case-insensitively; Key tells the instances of one kind apart
// and is case-sensitive. Both must pass Validate.
type ID struct{ Name, Key string }

// String returns "@" + lower-cased Name + "@" + Key, the entity's identity in the
// runtime (its actor name and journal key). Lower-casing the name here, once, is what
// makes "Counter" and "counter" the same entity everywhere the identity is compared.
// An ID with an empty Key yields "@name@", the common prefix of all entities of a kind.
func (id ID) String() string {
	return "@" + strings.ToLower(id.Name) + "@" + id.Key
}

// ParseID is the inverse of String: it splits "@name@key" at the second '@' (names
// cannot contain '@', keys may) and validates both parts. The name comes back as
// written in s, which String has lower-cased.
func ParseID(s string) (ID, error) {
	rest, ok := strings.CutPrefix(s, "@")
	if !ok {
		return ID{}, fmt.Errorf("invalid entity id %q: must start with '@'", s)
	}
	name, key, ok := strings.Cut(rest, "@")
	if !ok {
		return ID{}, fmt.Errorf("invalid entity id %q: no '@' between name and key", s)
	}
	id := ID{Name: name, Key: key}
	if err := id.Validate(); err != nil {
		return ID{}, err
	}
	return id, nil
}

// Validate checks the name with validate.EntityName and the key with
// validate.EntityKey; the error quotes the whole id.
func (id ID) Validate() error {
	if err := validate.EntityName(id.Name); err != nil {
		return fmt.Errorf("entity id %.80q: %w", id.String(), err)
	}
	if err := validate.EntityKey(id.Key); err != nil {
		return fmt.Errorf("entity id %.80q: %w", id.String(), err)
	}
	return nil
}
