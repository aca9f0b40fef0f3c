//go:build !unix

package embedded

import (
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// lockFile holds the database open read-only (bbolt's shared lock) so that
// no store opens it while it is replaced. A missing file is not locked.
func lockFile(path string) (unlock func(), err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s is open", ErrLocked, path)
	}
	if err != nil {
		return func() {}, nil // unreadable: it is being replaced anyway
	}
	return func() { _ = db.Close() }, nil
}
