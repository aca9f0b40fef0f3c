package embedded

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/jieda/jieda/index"
)

// A backup is
//
//	magic "JIEDABK\n" | uint32 BE format version | uint32 BE header length |
//	header JSON (BackupHeader) | uint64 BE database length | database bytes |
//	SHA-256 of everything before it (32 bytes)
//
// The database bytes are one consistent bbolt read transaction.
var backupMagic = []byte("JIEDABK\n")

// maxHeader bounds a backup header's length.
const maxHeader = 64 << 20

// BackupHeader describes a backup's contents.
type BackupHeader struct {
	Format      int                `json:"format"`
	Created     time.Time          `json:"created"`
	Collections []BackupCollection `json:"collections"`
}

// BackupCollection is one collection's settings in a backup header.
type BackupCollection struct {
	index.CollectionConfig
	Points         int                        `json:"points"`
	PayloadIndexes map[string]index.FieldType `json:"payload_indexes"`
}

// Backup writes a consistent snapshot of the whole store to w while the
// store keeps serving: writers proceed (bbolt's copy-on-write keeps the
// snapshot's pages), readers are not blocked.
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	s.mu.RLock()
	err := s.begin(ctx)
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		hdr, err := backupHeader(tx)
		if err != nil {
			return err
		}
		return writeBackup(ctx, w, tx, hdr, formatVersion)
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return index.ErrClosed
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// writeBackup writes the backup frame of tx's database with the given
// header and format version.
func writeBackup(ctx context.Context, w io.Writer, tx *bolt.Tx, hdr BackupHeader, version uint32) error {
	hb, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	h := sha256.New()
	out := &ctxWriter{ctx: ctx, w: io.MultiWriter(w, h)}
	var pre []byte
	pre = append(pre, backupMagic...)
	pre = binary.BigEndian.AppendUint32(pre, version)
	pre = binary.BigEndian.AppendUint32(pre, uint32(len(hb)))
	pre = append(pre, hb...)
	pre = binary.BigEndian.AppendUint64(pre, uint64(tx.Size()))
	if _, err := out.Write(pre); err != nil {
		return err
	}
	n, err := tx.WriteTo(out)
	if err != nil {
		return err
	}
	if n != tx.Size() {
		return fmt.Errorf("database copy is %d bytes, expected %d", n, tx.Size())
	}
	_, err = w.Write(h.Sum(nil))
	return err
}

func backupHeader(tx *bolt.Tx) (BackupHeader, error) {
	hdr := BackupHeader{Format: formatVersion, Created: time.Now().UTC(), Collections: []BackupCollection{}}
	err := tx.Bucket(bucketCollections).ForEachBucket(func(k []byte) error {
		cb := collectionBucket(tx, string(k))
		var bc BackupCollection
		var m collectionMeta
		if err := json.Unmarshal(cb.Bucket(bucketMeta).Get(keyConfig), &m); err != nil {
			return fmt.Errorf("%w: collection %s config: %w", ErrCorrupt, k, err)
		}
		bc.CollectionConfig = m.CollectionConfig
		if err := json.Unmarshal(cb.Bucket(bucketMeta).Get(keyIndexes), &bc.PayloadIndexes); err != nil {
			return fmt.Errorf("%w: collection %s payload indexes: %w", ErrCorrupt, k, err)
		}
		bc.Points = cb.Bucket(bucketPoints).Stats().KeyN
		hdr.Collections = append(hdr.Collections, bc)
		return nil
	})
	return hdr, err
}

// ctxWriter stops a long copy when its context ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// Restore writes the database of a backup into dataDir, replacing the one
// there. It checks the magic, format version and checksum before anything
// replaces the old database (written to a temporary file, fsync'd, then
// renamed into place), refuses a backup from a newer format
// (ErrNewerFormat), and refuses a directory whose database a running store
// holds open (ErrLocked). Saved HNSW graphs in dataDir are removed; the
// next Open rebuilds them.
func Restore(ctx context.Context, r io.Reader, dataDir string) (err error) {
	hdr, h, dbLen, err := readBackupHeader(r)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	target := filepath.Join(dataDir, DBFile)
	unlock, err := lockFile(target)
	if err != nil {
		return fmt.Errorf("restore into %s: %w", dataDir, err)
	}
	defer unlock()

	tmp, err := os.CreateTemp(dataDir, ".restore-*.tmp")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	body := io.TeeReader(io.LimitReader(r, int64(dbLen)), h)
	n, err := io.Copy(&ctxWriter{ctx: ctx, w: tmp}, body)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if uint64(n) != dbLen {
		return fmt.Errorf("restore: %w: backup truncated: database has %d of %d bytes", ErrCorrupt, n, dbLen)
	}
	sum := make([]byte, sha256.Size)
	if _, err := io.ReadFull(r, sum); err != nil {
		return fmt.Errorf("restore: %w: backup truncated: checksum missing", ErrCorrupt)
	}
	if !bytes.Equal(sum, h.Sum(nil)) {
		return fmt.Errorf("restore: %w: backup checksum mismatch", ErrCorrupt)
	}
	if k, _ := r.Read(make([]byte, 1)); k > 0 {
		return fmt.Errorf("restore: %w: trailing data after the backup's checksum", ErrCorrupt)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := checkRestored(tmp.Name(), hdr); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := syncDir(dataDir); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	removeGraphs(dataDir)
	return nil
}

// readBackupHeader reads and checks everything before the database bytes;
// the returned hash has consumed them.
func readBackupHeader(r io.Reader) (BackupHeader, hash.Hash, uint64, error) {
	var hdr BackupHeader
	h := sha256.New()
	tr := io.TeeReader(r, h)
	pre := make([]byte, len(backupMagic)+8)
	if _, err := io.ReadFull(tr, pre); err != nil {
		return hdr, nil, 0, fmt.Errorf("%w: not a jieda backup (too short)", ErrCorrupt)
	}
	if !bytes.Equal(pre[:len(backupMagic)], backupMagic) {
		return hdr, nil, 0, fmt.Errorf("%w: not a jieda backup (bad magic)", ErrCorrupt)
	}
	version := binary.BigEndian.Uint32(pre[len(backupMagic):])
	switch {
	case version > formatVersion:
		return hdr, nil, 0, fmt.Errorf("%w: backup format %d, this build reads up to %d", ErrNewerFormat, version, formatVersion)
	case version == 0:
		return hdr, nil, 0, fmt.Errorf("%w: backup format 0", ErrCorrupt)
	}
	hl := binary.BigEndian.Uint32(pre[len(backupMagic)+4:])
	if hl > maxHeader {
		return hdr, nil, 0, fmt.Errorf("%w: backup header of %d bytes", ErrCorrupt, hl)
	}
	hb := make([]byte, int(hl)+8)
	if _, err := io.ReadFull(tr, hb); err != nil {
		return hdr, nil, 0, fmt.Errorf("%w: backup truncated in its header", ErrCorrupt)
	}
	if err := json.Unmarshal(hb[:hl], &hdr); err != nil {
		return hdr, nil, 0, fmt.Errorf("%w: backup header: %w", ErrCorrupt, err)
	}
	return hdr, h, binary.BigEndian.Uint64(hb[hl:]), nil
}

// checkRestored opens a restored database and checks it holds what its
// header says.
func checkRestored(path string, hdr BackupHeader) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		return fmt.Errorf("%w: restored database does not open: %w", ErrCorrupt, err)
	}
	defer db.Close() //nolint:errcheck // read-only check
	return db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || tx.Bucket(bucketCollections) == nil {
			return fmt.Errorf("%w: restored database lacks jieda's buckets", ErrCorrupt)
		}
		if v := meta.Get(keyFormat); len(v) != 4 || binary.BigEndian.Uint32(v) > formatVersion {
			return fmt.Errorf("%w: restored database format %x", ErrNewerFormat, v)
		}
		got, err := backupHeader(tx)
		if err != nil {
			return err
		}
		if len(got.Collections) != len(hdr.Collections) {
			return fmt.Errorf("%w: restored database has %d collections, header says %d", ErrCorrupt, len(got.Collections), len(hdr.Collections))
		}
		for i, c := range got.Collections {
			if h := hdr.Collections[i]; c.CollectionConfig != h.CollectionConfig || c.Points != h.Points {
				return fmt.Errorf("%w: restored collection %s disagrees with the header", ErrCorrupt, c.Name)
			}
		}
		return nil
	})
}

func syncDir(dir string) (err error) {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.Close()) }()
	if err := d.Sync(); err != nil && !strings.Contains(err.Error(), "invalid argument") {
		return err
	}
	return nil
}
