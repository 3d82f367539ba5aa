package powerfs

import (
	"os"
	"testing"
)

// RequireEnv names the variable that turns a missing FUSE into a failure: CI sets it
// where FUSE is known to work, so that power-loss tests cannot skip there unnoticed.
const RequireEnv = "DURABLE_REQUIRE_FUSE"

// MountT mounts the disk at dir for a test and unmounts it when the test ends. If FUSE
// cannot be mounted here the test is skipped with the reason, or fails if RequireEnv
// is 1.
func MountT(t testing.TB, d *Disk, dir string) *Mount {
	t.Helper()
	m, err := d.Mount(dir)
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("FUSE is required (%s=1) but cannot be mounted: %v", RequireEnv, err)
		}
		t.Skipf("FUSE cannot be mounted here (needs /dev/fuse and root; set %s=1 to fail instead): %v", RequireEnv, err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m
}
