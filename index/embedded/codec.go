package embedded

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// recordVersion is the first byte of every point record.
const recordVersion = 1

// record is a point as stored: the slot it occupies in memory, the
// collection generation that wrote its vectors, its payload as canonical
// JSON, its L2-normalized dense vector and its sparse vector.
type record struct {
	slot    uint32
	gen     uint64
	payload []byte
	dense   []float32
	sparse  *index.Sparse
	dim     int // len(dense), also when decoding skipped it
}

// encodeRecord lays a record out as
//
//	version byte | uvarint slot | uvarint gen | uvarint len, payload JSON |
//	uvarint dim, dim × float32 LE | uvarint nnz, nnz × uint32 LE, nnz × float32 LE
func encodeRecord(r record) []byte {
	n := 1 + 3*binary.MaxVarintLen32 + binary.MaxVarintLen64 + len(r.payload) + 4*len(r.dense)
	nnz := 0
	if r.sparse != nil {
		nnz = len(r.sparse.Indices)
	}
	n += 8 * nnz
	b := make([]byte, 0, n)
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, uint64(r.slot))
	b = binary.AppendUvarint(b, r.gen)
	b = binary.AppendUvarint(b, uint64(len(r.payload)))
	b = append(b, r.payload...)
	b = binary.AppendUvarint(b, uint64(len(r.dense)))
	for _, x := range r.dense {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	b = binary.AppendUvarint(b, uint64(nnz))
	for i := 0; i < nnz; i++ {
		b = binary.LittleEndian.AppendUint32(b, r.sparse.Indices[i])
	}
	for i := 0; i < nnz; i++ {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(r.sparse.Values[i]))
	}
	return b
}

// decodeRecord parses a record. The returned slices do not alias b, which
// may be bbolt's memory-mapped page.
func decodeRecord(b []byte) (record, error) { return decodeRecordSkip(b, false) }

// decodeRecordSkip is decodeRecord, leaving the dense vector out when
// skipDense is set (r.dim still says its length).
func decodeRecordSkip(b []byte, skipDense bool) (record, error) {
	var r record
	if len(b) == 0 || b[0] != recordVersion {
		return r, fmt.Errorf("%w: point record version %v", ErrCorrupt, first(b))
	}
	p := 1
	uv := func(what string, limit uint64) (uint64, error) {
		v, n := binary.Uvarint(b[p:])
		if n <= 0 || v > limit {
			return 0, fmt.Errorf("%w: point record: bad %s", ErrCorrupt, what)
		}
		p += n
		return v, nil
	}
	slot, err := uv("slot", math.MaxUint32)
	if err != nil {
		return r, err
	}
	r.slot = uint32(slot)
	if r.gen, err = uv("generation", math.MaxUint64); err != nil {
		return r, err
	}
	pl, err := uv("payload length", uint64(len(b)))
	if err != nil {
		return r, err
	}
	if uint64(len(b)-p) < pl {
		return r, fmt.Errorf("%w: point record: truncated payload", ErrCorrupt)
	}
	r.payload = append([]byte(nil), b[p:p+int(pl)]...)
	p += int(pl)
	dim, err := uv("dimension", uint64(len(b)))
	if err != nil {
		return r, err
	}
	if uint64(len(b)-p) < 4*dim {
		return r, fmt.Errorf("%w: point record: truncated dense vector", ErrCorrupt)
	}
	r.dim = int(dim)
	if skipDense {
		p += 4 * int(dim)
	} else if dim > 0 {
		r.dense = make([]float32, dim)
		for i := range r.dense {
			r.dense[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[p:]))
			p += 4
		}
	}
	nnz, err := uv("sparse length", uint64(len(b)))
	if err != nil {
		return r, err
	}
	if uint64(len(b)-p) != 8*nnz {
		return r, fmt.Errorf("%w: point record: sparse vector length", ErrCorrupt)
	}
	if nnz > 0 {
		sp := &index.Sparse{Indices: make([]uint32, nnz), Values: make([]float32, nnz)}
		for i := range sp.Indices {
			sp.Indices[i] = binary.LittleEndian.Uint32(b[p:])
			p += 4
		}
		for i := range sp.Values {
			sp.Values[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[p:]))
			p += 4
		}
		r.sparse = sp
	}
	return r, nil
}

func first(b []byte) any {
	if len(b) == 0 {
		return "empty"
	}
	return b[0]
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
