package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

func seal(t *testing.T, k Key, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, k)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(k Key, sealed []byte) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(sealed), k)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestRoundTripAndRefusals(t *testing.T) {
	pass, _ := Passphrase("correct horse battery staple")
	keyBytes := make([]byte, 32)
	rand.Read(keyBytes)
	file, _ := KeyFile(keyBytes)
	for _, size := range []int{0, 1, chunkSize, chunkSize + 1, 3*chunkSize + 17} {
		data := make([]byte, size)
		rand.Read(data)
		for name, k := range map[string]Key{"passphrase": pass, "key file": file} {
			sealed := seal(t, k, data)
			if !IsSealed(sealed) || bytes.Contains(sealed, data[:min(size, 64)]) && size >= 64 {
				t.Fatalf("%s %d: not sealed", name, size)
			}
			got, err := open(k, sealed)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s %d bytes: round trip %v", name, size, err)
			}
		}
	}
	data := bytes.Repeat([]byte("客户手机13800001111 "), 20000)
	sealed := seal(t, pass, data)
	wrong, _ := Passphrase("correct horse battery stable")
	if _, err := open(wrong, sealed); !errors.Is(err, ErrWrongKey) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if _, err := open(file, sealed); !errors.Is(err, ErrWrongKey) {
		t.Errorf("a key file for a passphrase file: %v", err)
	}
	if _, err := open(pass, sealed[:len(sealed)-100]); !errors.Is(err, ErrDamaged) {
		t.Errorf("truncated: %v", err)
	}
	cut := sealed[:headerLen+4+chunkSize+16] // whole first chunk, nothing after
	if _, err := open(pass, cut); !errors.Is(err, ErrDamaged) {
		t.Errorf("cut at a chunk boundary: %v", err)
	}
	flipped := append([]byte(nil), sealed...)
	flipped[len(flipped)/2] ^= 1
	if _, err := open(pass, flipped); !errors.Is(err, ErrDamaged) {
		t.Errorf("a flipped bit: %v", err)
	}
	if _, err := Passphrase("short"); !errors.Is(err, ErrWeakKey) {
		t.Errorf("a short passphrase: %v", err)
	}
	if _, err := KeyFile([]byte("0123456789")); !errors.Is(err, ErrWeakKey) {
		t.Errorf("a short key file: %v", err)
	}
}
