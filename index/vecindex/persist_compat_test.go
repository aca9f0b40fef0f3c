package vecindex

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"
)

// saveV2 writes d as Save did in versions 1 and 2 (every vector as
// float32, from d's full vectors; version 2 adds the pending section with
// its vectors), for the compatibility tests.
func saveV2(t testing.TB, d *tdense, version uint32) []byte {
	t.Helper()
	d.mu.RLock()
	defer d.mu.RUnlock()
	d.Dense.mu.RLock()
	defer d.Dense.mu.RUnlock()
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	var out bytes.Buffer
	sum := crc32.New(castagnoli)
	bw := bufio.NewWriter(io.MultiWriter(&out, sum))
	e := encoder{w: bw}
	g := d.g
	rng, err := d.pcg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	n := len(d.slots)
	e.bytes([]byte(denseMagic))
	e.u32(version)
	e.u32(uint32(d.dim))
	e.u32(uint32(d.opts.M))
	e.u32(uint32(d.opts.EfConstruction))
	e.u32(uint32(d.opts.EfSearch))
	e.u64(uint64(int64(d.opts.ExactBelow)))
	e.u64(uint64(d.opts.Seed))
	e.u32(uint32(n))
	e.u32(g.entry)
	e.u32(uint32(g.maxLevel))
	e.u32(uint32(len(rng)))
	e.bytes(rng)
	free := map[uint32]bool{}
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
	// Dead nodes' vectors are gone from the caller: their dequantized
	// records stand in (LoadDense quantizes them back to the same codes).
	for id := range uint32(n) {
		v, ok := d.vecs[d.slots[id]]
		if d.isDead(id) || !ok {
			v = d.dequantize(id, nil)
		}
		e.f32s(v)
	}
	e.u32s(g.links0[:n*(g.m0+1)])
	for id := range uint32(n) {
		e.u32s(g.upper[id])
	}
	if version >= 2 {
		e.u32(uint32(d.pending.len()))
		d.pending.each(func(slot uint32, _ []float32) { e.u32(slot) })
		d.pending.each(func(_ uint32, v []float32) { e.f32s(v) })
	}
	if e.err == nil {
		e.err = bw.Flush()
	}
	if e.err != nil {
		t.Fatal(e.err)
	}
	return binary.LittleEndian.AppendUint32(out.Bytes(), sum.Sum32())
}

// dequantize writes node n's approximate vector into dst.
func (d *Dense) dequantize(n uint32, dst []float32) []float32 {
	r := d.rec(n)
	s, codes := recScale(r), recCodes(r, d.dim)
	if cap(dst) < d.dim {
		dst = make([]float32, d.dim)
	}
	dst = dst[:d.dim]
	for i, c := range codes {
		dst[i] = s * float32(c)
	}
	return dst
}
