package memjournal_test

import (
	"testing"

	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/journaltest"
	"github.com/godurable/durable/persistence/memjournal"
)

func TestConformance(t *testing.T) {
	journaltest.Run(t, func(*testing.T) persistence.Journal { return memjournal.New() })
}
