package badgerjournal

import (
	"fmt"
	"syscall"
	"time"

	"github.com/godurable/durable/persistence"
)

// spaceCheckInterval is how often the committer looks at the free space: often enough
// that the margin of MinFreeBytes is not used up in between.
const spaceCheckInterval = 20 * time.Millisecond

// space guards the disk under the journal: the committer refuses appends while free
// space is below the minimum and takes them again once it is back.
type space struct {
	dir     string
	min     int64
	free    func(dir string) (int64, error)
	checked time.Time
	err     error // the committer's alone
}

func newSpace(dir string, min int64) *space {
	if dir == "" || min <= 0 {
		return nil
	}
	return &space{dir: dir, min: min, free: freeBytes}
}

// check returns persistence.ErrUnavailable, explained, while the disk is too full.
func (s *space) check(now time.Time) error {
	if s == nil || now.Sub(s.checked) < spaceCheckInterval {
		if s == nil {
			return nil
		}
		return s.err
	}
	s.checked = now
	free, err := s.free(s.dir)
	switch {
	case err != nil:
		s.err = nil // unknown: do not stop writing on a failed probe
	case free < s.min:
		s.err = fmt.Errorf("%w: %d bytes free on the disk of %q, %d needed; appends resume once space is freed",
			persistence.ErrUnavailable, free, s.dir, s.min)
	default:
		s.err = nil
	}
	return s.err
}

func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
