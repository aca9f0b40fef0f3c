package embedded

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// recordVersion is the first byte of every point record this build writes.
// Version 1 records (format 1, see migrate.go) carried the vectors too.
const recordVersion = 2

// record is a point as stored in the points bucket: the slot its vectors
// are stored under (in the dense and sparse buckets, and in memory), the
// collection generation that wrote them, and its payload as canonical
// JSON.
type record struct {
	slot    uint32
	gen     uint64
	payload []byte
}

// encodeRecord lays a record out as
//
//	version byte | uvarint slot | uvarint gen | payload JSON (to the end)
func encodeRecord(r record) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen32+binary.MaxVarintLen64+len(r.payload))
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, uint64(r.slot))
	b = binary.AppendUvarint(b, r.gen)
	return append(b, r.payload...)
}

// decodeRecord parses a record. The payload aliases b, which may be
// bbolt's memory-mapped page: copy it to keep it past the transaction.
func decodeRecord(b []byte) (record, error) {
	var r record
	if len(b) == 0 || b[0] != recordVersion {
		return r, fmt.Errorf("%w: point record version %v", ErrCorrupt, first(b))
	}
	p := 1
	slot, n := binary.Uvarint(b[p:])
	if n <= 0 || slot > math.MaxUint32-1 {
		return r, fmt.Errorf("%w: point record: bad slot", ErrCorrupt)
	}
	p += n
	if r.gen, n = binary.Uvarint(b[p:]); n <= 0 {
		return r, fmt.Errorf("%w: point record: bad generation", ErrCorrupt)
	}
	p += n
	r.slot, r.payload = uint32(slot), b[p:]
	return r, nil
}

func first(b []byte) any {
	if len(b) == 0 {
		return "empty"
	}
	return b[0]
}

// slotKey is the key of a slot's vectors in the dense and sparse buckets:
// 4 bytes big-endian, so keys sort by slot.
func slotKey(slot uint32) []byte { return binary.BigEndian.AppendUint32(make([]byte, 0, 4), slot) }

// keySlot is the slot of a dense or sparse bucket key.
func keySlot(k []byte) (uint32, error) {
	if len(k) != 4 {
		return 0, fmt.Errorf("%w: vector key of %d bytes", ErrCorrupt, len(k))
	}
	return binary.BigEndian.Uint32(k), nil
}

// encodeDense lays out an L2-normalized dense vector as dim × float32
// little-endian.
func encodeDense(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// decodeDense parses a dense vector of dim dimensions into dst (reused
// when large enough). b may be bbolt's memory: dst never aliases it.
func decodeDense(b []byte, dim int, dst []float32) ([]float32, error) {
	if len(b) != 4*dim {
		return nil, fmt.Errorf("%w: dense vector of %d bytes, want %d", ErrCorrupt, len(b), 4*dim)
	}
	if cap(dst) < dim {
		dst = make([]float32, dim)
	}
	dst = dst[:dim]
	if nativeLE {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*dim), b)
		return dst, nil
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst, nil
}

// nativeLE: this machine stores float32 little-endian, as the format does.
var nativeLE = func() bool {
	x := uint32(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// encodeSparse lays out a sparse vector as nnz × uint32 LE indices, then
// nnz × float32 LE values.
func encodeSparse(s *index.Sparse) []byte {
	b := make([]byte, 0, 8*len(s.Indices))
	for _, i := range s.Indices {
		b = binary.LittleEndian.AppendUint32(b, i)
	}
	for _, v := range s.Values {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// decodeSparse parses a sparse vector; the result never aliases b.
func decodeSparse(b []byte) (*index.Sparse, error) {
	s := &index.Sparse{}
	if err := decodeSparseInto(b, s); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeSparseInto parses a sparse vector into s, reusing its slices.
func decodeSparseInto(b []byte, s *index.Sparse) error {
	if len(b) == 0 || len(b)%8 != 0 {
		return fmt.Errorf("%w: sparse vector of %d bytes", ErrCorrupt, len(b))
	}
	n := len(b) / 8
	s.Indices, s.Values = slices.Grow(s.Indices[:0], n)[:n], slices.Grow(s.Values[:0], n)[:n]
	for i := range n {
		s.Indices[i] = binary.LittleEndian.Uint32(b[4*i:])
		s.Values[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*(n+i):]))
		if i > 0 && s.Indices[i] <= s.Indices[i-1] {
			return fmt.Errorf("%w: sparse vector indices not ascending", ErrCorrupt)
		}
	}
	return nil
}

// sparseIndices decodes only the indices of a sparse vector, into dst.
func sparseIndices(b []byte, dst []uint32) ([]uint32, error) {
	if len(b) == 0 || len(b)%8 != 0 {
		return nil, fmt.Errorf("%w: sparse vector of %d bytes", ErrCorrupt, len(b))
	}
	dst = dst[:0]
	for i := range len(b) / 8 {
		dst = append(dst, binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst, nil
}

// idKey is the bbolt key of a canonical id: its 16 UUID bytes, whose byte
// order equals the order of the canonical lowercase strings.
func idKey(id string) []byte {
	u := uuid.MustParse(id)
	return u[:]
}

// keyID is the canonical id of a bbolt key.
func keyID(k []byte) (string, error) {
	u, err := uuid.FromBytes(k)
	if err != nil {
		return "", fmt.Errorf("%w: point key of %d bytes", ErrCorrupt, len(k))
	}
	return u.String(), nil
}
