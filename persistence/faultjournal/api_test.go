package faultjournal_test

import (
	"testing"

	"github.com/godurable/durable/persistence/badgerjournal"
	"github.com/godurable/durable/persistence/faultjournal"
)

// A seed names one fault: replaying it must inject the same one.
func TestFromSeedIsDeterministic(t *testing.T) {
	strikes := map[int64]bool{}
	kinds := map[faultjournal.Kind]bool{}
	for seed := range int64(200) {
		f := faultjournal.FromSeed(seed, 0, 8)
		if g := faultjournal.FromSeed(seed, 0, 8); g != f {
			t.Fatalf("seed %d gave %v, then %v", seed, f, g)
		}
		if f.At < 1 || f.At > 8 || f.Seed != seed {
			t.Fatalf("seed %d gave %v", seed, f)
		}
		strikes[f.At], kinds[f.Kind] = true, true
		if g := faultjournal.FromSeed(seed, faultjournal.TornBatch, 8); g.Kind != faultjournal.TornBatch {
			t.Fatalf("FromSeed with a kind gave %v", g)
		}
	}
	if len(strikes) != 8 || len(kinds) != len(faultjournal.Kinds()) {
		t.Fatalf("200 seeds struck %d of 8 commits with %d of %d kinds", len(strikes), len(kinds), len(faultjournal.Kinds()))
	}
}

func TestKinds(t *testing.T) {
	names := map[string]bool{}
	for _, k := range faultjournal.Kinds() {
		names[k.String()] = true
		want := k <= faultjournal.TornBatch
		if k.FailsCommit() != want {
			t.Errorf("%v.FailsCommit() = %v", k, !want)
		}
	}
	if len(names) != 8 || faultjournal.Kind(0).String() != "Kind(0)" {
		t.Fatalf("kind names: %v", names)
	}
}

func TestWrapRefusesAnInvalidFault(t *testing.T) {
	j, err := badgerjournal.Open(badgerjournal.Config{InMemory: true, MemTableSize: 8 << 20, MaxBatchBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, f := range []faultjournal.Fault{{Kind: faultjournal.BitFlip}, {Kind: 0, At: 1}, {Kind: 99, At: 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Wrap accepted %v", f)
				}
			}()
			faultjournal.Wrap(j, f)
		}()
	}
}
