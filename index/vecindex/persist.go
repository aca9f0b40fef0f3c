package vecindex

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"unsafe"
)

// The saved form of a Dense, all integers little-endian:
//
//	magic "JIEDAVEC" | version u32 | dim u32 | M u32 | EfConstruction u32 |
//	EfSearch u32 | ExactBelow i64 | Seed i64 | nodes u32 | entry u32 |
//	maxLevel u32 | rng state (len u32, bytes) |
//	per node: slot u32, state u8 (0 live, 1 tombstone, 2 free), level u8 |
//	records: nodes × (scale f32, bound f32, dim × int8 codes, zeros to a
//	multiple of 16 bytes) |
//	level-0 cells: nodes × (2M+1) u32 |
//	upper cells of nodes with level > 0, in node order: level × (M+1) u32 |
//	pending count u32 | pending slots: count × u32 |
//	CRC-32C (Castagnoli) of everything before, u32
//
// It holds no full-precision vector: the caller keeps those, and
// LoadDense asks for the pending ones (Exact). Versions 1 and 2, which
// LoadDense still reads (quantizing as it goes), held every node's vector
// as dim × f32 instead of the records, and version 2 the pending vectors
// after their slots; version 1 had no pending section.
const (
	denseMagic   = "JIEDAVEC"
	denseVersion = 3
)

// SavedVersion returns the format version of a saved index from its first
// 12 bytes; ok is false when they are not a saved index's. A version below
// the one Save writes is worth saving again (LoadDense converts it each
// time).
func SavedVersion(head []byte) (version uint32, ok bool) {
	if len(head) < len(denseMagic)+4 || string(head[:len(denseMagic)]) != denseMagic {
		return 0, false
	}
	return binary.LittleEndian.Uint32(head[len(denseMagic):]), true
}

// FormatVersion is the version Save writes.
const FormatVersion = denseVersion

const (
	stateLive byte = iota
	stateTomb
	stateFree
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes the index (quantized vectors, graph, pending slots) to w in
// a versioned format with a checksum, for LoadDense. It holds the read locks
// while it writes: searches go on, writes wait. Write to a temporary file,
// fsync and rename to make the save atomic.
func (d *Dense) Save(w io.Writer) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	sum := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, sum), 1<<16)
	e := encoder{w: bw}
	g := d.g
	rngState, err := d.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("saving dense index: %w", err)
	}
	n := len(d.slots)
	e.bytes([]byte(denseMagic))
	e.u32(denseVersion)
	e.u32(uint32(d.dim))
	e.u32(uint32(d.opts.M))
	e.u32(uint32(d.opts.EfConstruction))
	e.u32(uint32(d.opts.EfSearch))
	e.u64(uint64(int64(d.opts.ExactBelow)))
	e.u64(uint64(d.opts.Seed))
	e.u32(uint32(n))
	e.u32(g.entry)
	e.u32(uint32(g.maxLevel))
	e.u32(uint32(len(rngState)))
	e.bytes(rngState)
	free := make(map[uint32]bool, len(d.free))
	for _, f := range d.free {
		free[f] = true
	}
	for id := range uint32(n) {
		st := stateLive
		if d.isDead(id) {
			st = stateTomb
			if free[id] {
				st = stateFree
			}
		}
		e.u32(d.slots[id])
		e.bytes([]byte{st, byte(g.level(id))})
	}
	for _, c := range d.recs {
		e.bytes(c)
	}
	e.u32s(g.links0[:n*(g.m0+1)])
	for id := range uint32(n) {
		e.u32s(g.upper[id])
	}
	e.u32(uint32(d.pending.len()))
	d.pending.each(func(slot uint32, _ []float32) { e.u32(slot) })
	if e.err == nil {
		e.err = bw.Flush()
	}
	if e.err == nil {
		_, e.err = w.Write(binary.LittleEndian.AppendUint32(nil, sum.Sum32()))
	}
	if e.err != nil {
		return fmt.Errorf("saving dense index: %w", e.err)
	}
	return nil
}

// LoadDense reads an index written by Save; exact provides the vectors of
// the slots that were pending (a pending slot it has no vector for is
// ErrCorrupt). It checks the format version, the checksum and the graph's
// consistency, and never trusts a length it has not read data for.
func LoadDense(r io.Reader, exact Exact) (*Dense, error) {
	d, err := loadDense(r, exact)
	if err != nil {
		return nil, fmt.Errorf("loading dense index: %w", err)
	}
	return d, nil
}

func loadDense(r io.Reader, exact Exact) (*Dense, error) {
	sum := crc32.New(castagnoli)
	br := bufio.NewReaderSize(r, 1<<16)
	dec := decoder{r: io.TeeReader(br, sum)}
	magic := dec.bytes(len(denseMagic))
	if dec.err != nil || string(magic) != denseMagic {
		return nil, ErrFormat
	}
	version := dec.u32()
	if dec.err == nil && (version < 1 || version > denseVersion) {
		return nil, fmt.Errorf("%w: version %d, want at most %d", ErrFormat, version, denseVersion)
	}
	dim := int(dec.u32())
	opts := DenseOptions{
		M:              int(dec.u32()),
		EfConstruction: int(dec.u32()),
		EfSearch:       int(dec.u32()),
		ExactBelow:     int(int64(dec.u64())),
		Seed:           int64(dec.u64()),
	}
	n := int(dec.u32())
	entry := dec.u32()
	maxLvl := int(dec.u32())
	rngState := dec.bytes(int(min(dec.u32(), 1024)))
	if dec.err != nil {
		return nil, dec.corrupt()
	}
	if dim <= 0 || dim > 1<<16 || opts.M < 2 || opts.M > maxM || opts.EfConstruction < opts.M ||
		opts.EfSearch <= 0 || opts.ExactBelow < 0 || maxLvl > maxLevel || n > math.MaxUint32-1 {
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	d := NewDense(dim, opts)
	d.opts = opts // as saved: already normalized (ExactBelow 0 stays 0)
	if err := d.pcg.UnmarshalBinary(rngState); err != nil {
		return nil, fmt.Errorf("%w: level generator state: %w", ErrCorrupt, err)
	}
	g := d.g

	// Grow as data arrives, so a lying header fails on EOF, not on memory.
	levels := make([]byte, 0, min(n, 1<<16))
	states := make([]byte, 0, min(n, 1<<16))
	for range n {
		d.slots = append(d.slots, dec.u32())
		b := dec.bytes(2)
		if dec.err != nil {
			return nil, dec.corrupt()
		}
		states, levels = append(states, b[0]), append(levels, b[1])
	}
	d.dead = make([]uint64, (n+63)/64)
	for id := range uint32(n) {
		switch states[id] {
		case stateLive:
			if _, dup := d.bySlot[d.slots[id]]; dup {
				return nil, fmt.Errorf("%w: slot %d twice", ErrCorrupt, d.slots[id])
			}
			d.bySlot[d.slots[id]] = id
		case stateTomb:
			d.setDead(id, true)
			d.tombs = append(d.tombs, id)
		case stateFree:
			d.setDead(id, true)
			d.free = append(d.free, id)
		default:
			return nil, fmt.Errorf("%w: node state %d", ErrCorrupt, states[id])
		}
		if int(levels[id]) > maxLevel || states[id] == stateFree && levels[id] != 0 {
			return nil, fmt.Errorf("%w: node level %d", ErrCorrupt, levels[id])
		}
	}
	var vec []float32
	for id := 0; id < n; {
		// A whole chunk at a time (at most 16 MiB, however large dim), and
		// only once the previous one was read: a lying header runs out of
		// data before it runs out of memory.
		per := min(int(d.mask)+1, n-id)
		c := make([]byte, d.stride*per)
		adviseHuge(c, false)
		if version >= 3 {
			dec.read(c)
		} else {
			for j := range per {
				vec = dec.appendF32s(vec[:0], dim)
				if dec.err != nil {
					break
				}
				quantize(vec, c[j*d.stride:(j+1)*d.stride])
			}
		}
		if dec.err != nil {
			return nil, dec.corrupt()
		}
		adviseHuge(c, true)
		d.recs = append(d.recs, c)
		id += per
	}
	// n records arrived, so n is no lie: the cells take at most 64 times
	// their bytes (M ≤ 128, a record at least 16 bytes).
	cell0 := g.m0 + 1
	g.links0 = make([]uint32, n*cell0)
	adviseHuge(g.links0, false)
	dec.readU32s(g.links0)
	if dec.err != nil {
		return nil, dec.corrupt()
	}
	adviseHuge(g.links0, true)
	g.upper = make([][]uint32, n)
	for id := range uint32(n) {
		if l := int(levels[id]); l > 0 {
			g.upper[id] = dec.appendU32s(make([]uint32, 0, l*(g.m+1)), l*(g.m+1))
		}
	}
	if version >= 2 {
		if err := d.loadPending(&dec, version, exact); err != nil {
			return nil, err
		}
	}
	want := sum.Sum32()
	got := dec.u32()
	if dec.err != nil {
		return nil, dec.corrupt()
	}
	if got != want {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	if err := d.check(entry, maxLvl); err != nil {
		return nil, err
	}
	g.entry, g.maxLevel = entry, maxLvl
	return d, nil
}

// loadPending reads the pending section; a slot may appear once, and not
// in the graph. Version 2 holds the vectors; from version 3 exact gives
// them.
func (d *Dense) loadPending(dec *decoder, version uint32, exact Exact) error {
	count := int(dec.u32())
	if dec.err != nil {
		return dec.corrupt()
	}
	slots := make([]uint32, 0, min(count, 1<<16))
	seen := make(map[uint32]bool, min(count, 1<<16))
	for range count {
		slot := dec.u32()
		if dec.err != nil {
			return dec.corrupt()
		}
		if _, ok := d.bySlot[slot]; ok || seen[slot] {
			return fmt.Errorf("%w: pending slot %d twice", ErrCorrupt, slot)
		}
		seen[slot] = true
		slots = append(slots, slot)
	}
	var v []float32
	for _, slot := range slots {
		if version == 2 {
			v = dec.appendF32s(v[:0], d.dim)
			if dec.err != nil {
				return dec.corrupt()
			}
		} else {
			var ok bool
			if exact != nil {
				v, ok = exact(slot, v)
			}
			if !ok || len(v) != d.dim {
				return fmt.Errorf("%w: no vector for pending slot %d", ErrCorrupt, slot)
			}
		}
		d.pending.put(slot, v)
	}
	return nil
}

// check verifies a loaded graph: every cell within capacity, every link to
// an existing node that has the link's level and is not free, and an entry
// point that is live at the top level (or none when nothing is live).
func (d *Dense) check(entry uint32, maxLvl int) error {
	g := d.g
	n := uint32(len(d.slots))
	free := make([]uint64, (n+63)/64)
	for _, f := range d.free {
		free[f>>6] |= 1 << (f & 63)
	}
	for id := range n {
		for l := 0; l <= g.level(id); l++ {
			c := g.cell(id, l)
			if int(c[0]) > len(c)-1 {
				return fmt.Errorf("%w: node %d level %d has %d links", ErrCorrupt, id, l, c[0])
			}
			for _, y := range links(c) {
				if y >= n || free[y>>6]&(1<<(y&63)) != 0 || g.level(y) < l {
					return fmt.Errorf("%w: node %d level %d links to %d", ErrCorrupt, id, l, y)
				}
			}
		}
	}
	switch {
	case entry == noNode:
		if len(d.bySlot) > 0 {
			return fmt.Errorf("%w: no entry point", ErrCorrupt)
		}
	case entry >= n || d.isDead(entry) || g.level(entry) != maxLvl:
		return fmt.Errorf("%w: bad entry point %d", ErrCorrupt, entry)
	}
	return nil
}

type encoder struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func (e *encoder) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) u32(v uint32) { e.bytes(binary.LittleEndian.AppendUint32(e.buf[:0], v)) }
func (e *encoder) u64(v uint64) { e.bytes(binary.LittleEndian.AppendUint64(e.buf[:0], v)) }

// nativeLE: this machine stores uint32 and float32 little-endian, as the
// format does, so slices are written and read as their memory.
var nativeLE = func() bool {
	x := uint32(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func asBytes[T uint32 | float32](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*4)
}

func (e *encoder) u32s(v []uint32) {
	if nativeLE {
		e.bytes(asBytes(v))
		return
	}
	e.buf = e.buf[:0]
	for _, x := range v {
		e.buf = binary.LittleEndian.AppendUint32(e.buf, x)
	}
	e.bytes(e.buf)
}

func (e *encoder) f32s(v []float32) {
	if nativeLE {
		e.bytes(asBytes(v))
		return
	}
	e.buf = e.buf[:0]
	for _, x := range v {
		e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(x))
	}
	e.bytes(e.buf)
}

type decoder struct {
	r   io.Reader
	buf []byte
	err error
}

func (d *decoder) corrupt() error {
	if errors.Is(d.err, io.EOF) || errors.Is(d.err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated", ErrCorrupt)
	}
	return d.err
}

// bytes reads n bytes into a reused buffer.
func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	d.buf = slices.Grow(d.buf[:0], n)[:n]
	_, d.err = io.ReadFull(d.r, d.buf)
	return d.buf
}

// readU32s fills v.
func (d *decoder) readU32s(v []uint32) {
	if nativeLE {
		d.read(asBytes(v))
		return
	}
	for i := 0; i < len(v) && d.err == nil; i += 1 << 16 {
		b := d.bytes(4 * min(1<<16, len(v)-i))
		for j := range len(b) / 4 {
			v[i+j] = binary.LittleEndian.Uint32(b[4*j:])
		}
	}
}

// read fills b.
func (d *decoder) read(b []byte) {
	if d.err == nil {
		_, d.err = io.ReadFull(d.r, b)
	}
}

func (d *decoder) u32() uint32 {
	if b := d.bytes(4); d.err == nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.bytes(8); d.err == nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) appendU32s(dst []uint32, n int) []uint32 {
	if nativeLE && d.err == nil {
		dst = slices.Grow(dst, n)
		_, d.err = io.ReadFull(d.r, asBytes(dst[len(dst):len(dst)+n]))
		return dst[:len(dst)+n]
	}
	b := d.bytes(4 * n)
	if d.err != nil {
		return dst
	}
	for i := range n {
		dst = append(dst, binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst
}

func (d *decoder) appendF32s(dst []float32, n int) []float32 {
	if nativeLE && d.err == nil {
		dst = slices.Grow(dst, n)
		_, d.err = io.ReadFull(d.r, asBytes(dst[len(dst):len(dst)+n]))
		return dst[:len(dst)+n]
	}
	b := d.bytes(4 * n)
	if d.err != nil {
		return dst
	}
	for i := range n {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return dst
}
