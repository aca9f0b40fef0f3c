package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Errors.
var (
	// ErrWrongKey reports a passphrase or key file that does not open the file.
	ErrWrongKey = errors.New("wrong passphrase or key file, or a damaged file")
	// ErrDamaged reports a sealed file that was cut short or changed.
	ErrDamaged = errors.New("sealed file damaged or truncated")
	// ErrWeakKey reports a passphrase or key file too short to protect anything.
	ErrWeakKey = errors.New("key too weak")
)

const (
	magic      = "JIEDA-SEALED"
	version    = 1
	saltLen    = 16
	prefixLen  = 8
	headerLen  = len(magic) + 1 + 1 + 4 + saltLen + prefixLen
	chunkSize  = 64 << 10
	iterations = 600_000 // PBKDF2-SHA256, OWASP's 2023 advice
)

// Kinds of key.
const (
	kindPassphrase byte = 1
	kindKeyFile    byte = 2
)

// Key is what seals and opens a file: a passphrase or a key file's bytes.
type Key struct {
	kind   byte
	secret []byte
}

// Passphrase is a key a person types (at least 12 characters).
func Passphrase(p string) (Key, error) {
	if len([]rune(p)) < 12 {
		return Key{}, fmt.Errorf("%w: a passphrase needs at least 12 characters", ErrWeakKey)
	}
	return Key{kind: kindPassphrase, secret: []byte(p)}, nil
}

// KeyFile is a key read from a file (at least 32 bytes, e.g. `head -c 32 /dev/urandom`).
func KeyFile(b []byte) (Key, error) {
	b = bytes.TrimRight(b, "\r\n")
	if len(b) < 32 {
		return Key{}, fmt.Errorf("%w: a key file needs at least 32 bytes", ErrWeakKey)
	}
	return Key{kind: kindKeyFile, secret: b}, nil
}

// IsSealed reports whether head (a file's first bytes) starts a sealed file.
func IsSealed(head []byte) bool { return bytes.HasPrefix(head, []byte(magic)) }

func (k Key) aead(kind byte, iters uint32, salt []byte) (cipher.AEAD, error) {
	if kind != k.kind {
		return nil, fmt.Errorf("%w: the file was sealed with a %s", ErrWrongKey, kindName(kind))
	}
	var dk []byte
	var err error
	if kind == kindPassphrase {
		dk, err = pbkdf2.Key(sha256.New, string(k.secret), salt, int(iters), 32)
	} else {
		dk, err = hkdf.Key(sha256.New, k.secret, salt, "jieda backup", 32)
	}
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func kindName(kind byte) string {
	if kind == kindPassphrase {
		return "passphrase"
	}
	return "key file"
}

// writer seals what is written to it.
type writer struct {
	w      io.Writer
	aead   cipher.AEAD
	header []byte
	prefix []byte
	n      uint64
	buf    []byte
	closed bool
}

// NewWriter writes a sealed file to w; Close seals the last chunk (a file
// without it is refused as truncated) but does not close w.
func NewWriter(w io.Writer, k Key) (io.WriteCloser, error) {
	if k.kind == 0 {
		return nil, fmt.Errorf("%w: no key", ErrWeakKey)
	}
	header := make([]byte, 0, headerLen)
	header = append(header, magic...)
	header = append(header, version, k.kind)
	header = binary.BigEndian.AppendUint32(header, iterations)
	salt := make([]byte, saltLen+prefixLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	header = append(header, salt...)
	aead, err := k.aead(k.kind, iterations, salt[:saltLen])
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(header); err != nil {
		return nil, err
	}
	return &writer{w: w, aead: aead, header: header, prefix: salt[saltLen:], buf: make([]byte, 0, chunkSize)}, nil
}

func (s *writer) Write(p []byte) (int, error) {
	if s.closed {
		return 0, errors.New("seal: write after close")
	}
	n := 0
	for len(p) > 0 {
		take := min(chunkSize-len(s.buf), len(p))
		s.buf = append(s.buf, p[:take]...)
		p, n = p[take:], n+take
		if len(s.buf) == chunkSize {
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (s *writer) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.flush(true)
}

func nonce(prefix []byte, n uint64) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), prefix...), uint32(n))
}

func aad(header []byte, last bool) []byte {
	flag := byte(0)
	if last {
		flag = 1
	}
	return append(append([]byte(nil), header...), flag)
}

func (s *writer) flush(last bool) error {
	if s.n >= 1<<32 {
		return errors.New("seal: file too large")
	}
	ct := s.aead.Seal(nil, nonce(s.prefix, s.n), s.buf, aad(s.header, last))
	s.n++
	s.buf = s.buf[:0]
	var lenb [4]byte
	binary.BigEndian.PutUint32(lenb[:], uint32(len(ct)))
	if _, err := s.w.Write(lenb[:]); err != nil {
		return err
	}
	_, err := s.w.Write(ct)
	return err
}

// reader opens a sealed file as it is read.
type reader struct {
	r      io.Reader
	aead   cipher.AEAD
	header []byte
	prefix []byte
	n      uint64
	plain  []byte
	done   bool
}

// NewReader opens a sealed file from r with k; a wrong key is ErrWrongKey.
func NewReader(r io.Reader, k Key) (io.Reader, error) {
	header := make([]byte, headerLen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if !IsSealed(header) {
		return nil, errors.New("not a sealed file")
	}
	if header[len(magic)] != version {
		return nil, fmt.Errorf("sealed file version %d: this jieda reads version %d", header[len(magic)], version)
	}
	kind := header[len(magic)+1]
	iters := binary.BigEndian.Uint32(header[len(magic)+2:])
	if iters > 100*iterations {
		return nil, fmt.Errorf("%w: %d iterations", ErrDamaged, iters)
	}
	salt := header[len(magic)+6 : len(magic)+6+saltLen]
	aead, err := k.aead(kind, iters, salt)
	if err != nil {
		return nil, err
	}
	sr := &reader{r: r, aead: aead, header: header, prefix: header[headerLen-prefixLen:]}
	if err := sr.next(); err != nil { // a wrong key shows here, before the caller reads
		return nil, err
	}
	return sr, nil
}

func (s *reader) Read(p []byte) (int, error) {
	for len(s.plain) == 0 {
		if s.done {
			return 0, io.EOF
		}
		if err := s.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.plain)
	s.plain = s.plain[n:]
	return n, nil
}

func (s *reader) next() error {
	var lenb [4]byte
	if _, err := io.ReadFull(s.r, lenb[:]); err != nil {
		return fmt.Errorf("%w: the last chunk is missing", ErrDamaged)
	}
	size := binary.BigEndian.Uint32(lenb[:])
	if size > chunkSize+uint32(s.aead.Overhead()) {
		return fmt.Errorf("%w: a chunk of %d bytes", ErrDamaged, size)
	}
	ct := make([]byte, size)
	if _, err := io.ReadFull(s.r, ct); err != nil {
		return fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	nc := nonce(s.prefix, s.n)
	if plain, err := s.aead.Open(nil, nc, ct, aad(s.header, false)); err == nil {
		s.plain, s.n = plain, s.n+1
		return nil
	}
	plain, err := s.aead.Open(nil, nc, ct, aad(s.header, true))
	if err != nil {
		if s.n == 0 {
			return ErrWrongKey
		}
		return fmt.Errorf("%w: chunk %d", ErrDamaged, s.n)
	}
	s.plain, s.n, s.done = plain, s.n+1, true
	var extra [1]byte
	if n, _ := s.r.Read(extra[:]); n > 0 {
		return fmt.Errorf("%w: data after the last chunk", ErrDamaged)
	}
	return nil
}
