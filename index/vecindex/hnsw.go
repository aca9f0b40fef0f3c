package vecindex

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

const (
	maxLevel    = 16
	noNode      = math.MaxUint32
	lockStripes = 1024
)

var ln = math.Log

// graph is an HNSW graph (Malkov & Yashunin) over a Dense's nodes. Link
// lists are cells: a count followed by capacity slots. The bottom layer's
// cells (capacity 2M) lie in one flat slice; upper layers' cells (capacity
// M) hang off the few nodes that have them.
//
// Searches run under Dense's read lock and read cells directly. Inserts run
// under Dense's write lock, possibly several at once (insertParallel): then
// each cell is guarded by a striped lock, never two held at once, and the
// entry point by gmu.
type graph struct {
	m, m0, efC int
	ml         float64

	links0 []uint32   // (m0+1) per node
	upper  [][]uint32 // per node: (m+1) per level above 0; nil at level 0

	gmu      sync.Mutex
	entry    uint32 // noNode when empty
	maxLevel int

	locks [lockStripes]sync.Mutex
}

func newGraph(o DenseOptions, nodes int) *graph {
	g := &graph{
		m:     o.M,
		m0:    2 * o.M,
		efC:   o.EfConstruction,
		ml:    1 / math.Log(float64(o.M)),
		entry: noNode,
	}
	g.grow(nodes)
	return g
}

// grow makes room for nodes ids.
func (g *graph) grow(nodes int) {
	if want := nodes * (g.m0 + 1); want > len(g.links0) {
		old := cap(g.links0)
		g.links0 = slices.Grow(g.links0, want-len(g.links0))[:want]
		if cap(g.links0) != old {
			adviseHuge(g.links0, false)
		}
	}
	for len(g.upper) < nodes {
		g.upper = append(g.upper, nil)
	}
}

func (g *graph) level(n uint32) int { return len(g.upper[n]) / (g.m + 1) }

// setLevel gives node n empty cells for levels 0..l.
func (g *graph) setLevel(n uint32, l int) {
	clear(g.cell(n, 0))
	g.upper[n] = nil
	if l > 0 {
		g.upper[n] = make([]uint32, l*(g.m+1))
	}
}

// cell returns node n's cell at level l, or nil when n has no such level.
func (g *graph) cell(n uint32, l int) []uint32 {
	if l == 0 {
		off := int(n) * (g.m0 + 1)
		return g.links0[off : off+g.m0+1 : off+g.m0+1]
	}
	u := g.upper[n]
	off := (l - 1) * (g.m + 1)
	if off+g.m+1 > len(u) {
		return nil
	}
	return u[off : off+g.m+1 : off+g.m+1]
}

func links(cell []uint32) []uint32 {
	if len(cell) == 0 {
		return nil
	}
	return cell[1 : 1+cell[0]]
}

func (g *graph) lock(n uint32) *sync.Mutex { return &g.locks[n%lockStripes] }

// neighbors returns n's links at level l; when locked, a copy taken under
// n's lock into *buf.
func (g *graph) neighbors(n uint32, l int, locked bool, buf *[]uint32) []uint32 {
	if !locked {
		return links(g.cell(n, l))
	}
	mu := g.lock(n)
	mu.Lock()
	*buf = append((*buf)[:0], links(g.cell(n, l))...)
	mu.Unlock()
	return *buf
}

// scratch is one search's or insert's working memory, pooled.
type scratch struct {
	visited    []uint64
	cands      maxHeap
	res        minHeap
	nbuf       []uint32
	fresh      []uint32
	pool, sel  []cand
	pool2      []cand
	sel2       []cand
	linksCopy  []uint32
	linksCopy2 []uint32
}

func (s *scratch) resetVisited(nodes int) {
	w := (nodes + 63) / 64
	if cap(s.visited) < w {
		s.visited = make([]uint64, w, w+w/4)
		return
	}
	s.visited = s.visited[:w]
	clear(s.visited)
}

// visit marks n and reports whether it was already marked.
func (s *scratch) visit(n uint32) bool {
	w, b := n>>6, uint64(1)<<(n&63)
	if s.visited[w]&b != 0 {
		return true
	}
	s.visited[w] |= b
	return false
}

func (s *scratch) unvisit(n uint32) { s.visited[n>>6] &^= 1 << (n & 63) }

// admit reports whether node n may be a result: live, and allowed.
func (d *Dense) admit(n uint32, allow func(uint32) bool) bool {
	return !d.isDead(n) && (allow == nil || allow(d.slots[n]))
}

// greedy walks level l from cur to a local best for q.
func (d *Dense) greedy(q []float32, cur cand, l int, locked bool, s *scratch) cand {
	for changed := true; changed; {
		changed = false
		for _, n := range d.g.neighbors(cur.id, l, locked, &s.nbuf) {
			if sc := d.score(q, n); sc > cur.score {
				cur, changed = cand{sc, n}, true
			}
		}
	}
	return cur
}

// searchLayer is the beam search of level l from ep: s.res ends holding
// the (up to) ef most similar admitted nodes. Nodes not admitted (dead,
// filtered out, or skip) are walked through but never kept.
func (d *Dense) searchLayer(s *scratch, q []float32, ep cand, ef, l int, allow func(uint32) bool, skip uint32, locked bool) {
	s.resetVisited(len(d.slots))
	s.cands, s.res = s.cands[:0], s.res[:0]
	s.visit(ep.id)
	s.cands.push(ep)
	if ep.id != skip && d.admit(ep.id, allow) {
		s.res.push(ep)
	}
	for len(s.cands) > 0 {
		c := s.cands.pop()
		if len(s.res) >= ef && c.score < s.res[0].score {
			break
		}
		s.fresh = s.fresh[:0]
		for _, n := range d.g.neighbors(c.id, l, locked, &s.nbuf) {
			if !s.visit(n) {
				s.fresh = append(s.fresh, n)
				prefetchBytes(d.rec(n))
			}
		}
		for _, n := range s.fresh {
			sc := d.score(q, n)
			if len(s.res) < ef || sc > s.res[0].score {
				s.cands.push(cand{sc, n})
				if n != skip && d.admit(n, allow) {
					s.res.push(cand{sc, n})
					if len(s.res) > ef {
						s.res.pop()
					}
				}
			}
		}
	}
}

// graphSearch is the HNSW query: greedy descent, then a beam of width ef on
// the bottom layer, on the quantized vectors; s.res ends holding the
// (up to) ef best admitted nodes. It reports false when the graph is
// empty.
func (d *Dense) graphSearch(s *scratch, q []float32, ef int, allow func(uint32) bool) bool {
	g := d.g
	if g.entry == noNode {
		return false
	}
	cur := cand{d.score(q, g.entry), g.entry}
	for l := g.maxLevel; l > 0; l-- {
		cur = d.greedy(q, cur, l, false, s)
	}
	d.searchLayer(s, q, cur, ef, 0, allow, noNode, false)
	return true
}

func sortCands(c []cand) {
	slices.SortFunc(c, func(a, b cand) int {
		if r := cmp.Compare(b.score, a.score); r != 0 {
			return r
		}
		return cmp.Compare(a.id, b.id)
	})
}

// heuristic is HNSW's neighbor selection: from candidates sorted by
// similarity to the base node, keep one only if it is closer to the base
// than to every one kept so far, until m are kept. It spreads links across
// directions, which keeps clustered data navigable.
func (d *Dense) heuristic(cands []cand, m int, out []cand) []cand {
	out = out[:0]
	for _, c := range cands {
		if len(out) >= m {
			break
		}
		good := true
		for _, o := range out {
			if d.scoreNodes(c.id, o.id) > c.score {
				good = false
				break
			}
		}
		if good {
			out = append(out, c)
		}
	}
	return out
}

// writeCell stores sel as the links of cell.
func writeCell(cell []uint32, sel []cand) {
	n := min(len(sel), len(cell)-1)
	cell[0] = uint32(n)
	for i := range n {
		cell[1+i] = sel[i].id
	}
}

// insert links live node x, whose level is set and whose vector is q, into
// the graph. Safe to run concurrently with other inserts (not with
// searches or removals).
func (d *Dense) insert(x uint32, q []float32, s *scratch) {
	g := d.g
	lvl := g.level(x)

	g.gmu.Lock()
	ep, top := g.entry, g.maxLevel
	if ep == noNode {
		g.entry, g.maxLevel = x, lvl
		g.gmu.Unlock()
		return
	}
	raise := lvl > top
	if !raise {
		g.gmu.Unlock()
	}

	cur := cand{d.score(q, ep), ep}
	for l := top; l > lvl; l-- {
		cur = d.greedy(q, cur, l, true, s)
	}
	for l := min(lvl, top); l >= 0; l-- {
		d.searchLayer(s, q, cur, g.efC, l, nil, x, true)
		s.pool = append(s.pool[:0], s.res...)
		sortCands(s.pool)
		if len(s.pool) > 0 {
			cur = s.pool[0]
		}
		s.sel = d.heuristic(s.pool, g.m, s.sel)
		mu := g.lock(x)
		mu.Lock()
		writeCell(g.cell(x, l), s.sel)
		mu.Unlock()
		for _, c := range s.sel {
			d.addLink(c.id, x, c.score, l, s)
		}
	}
	if raise {
		g.entry, g.maxLevel = x, lvl
		g.gmu.Unlock()
	}
}

// addLink adds x (similarity sc) to n's links at level l, re-selecting n's
// links by the heuristic when the cell is full.
func (d *Dense) addLink(n, x uint32, sc float32, l int, s *scratch) {
	g := d.g
	mu := g.lock(n)
	mu.Lock()
	defer mu.Unlock()
	cell := g.cell(n, l)
	if cell == nil {
		return
	}
	cnt := int(cell[0])
	if slices.Contains(cell[1:1+cnt], x) {
		return
	}
	if cnt < len(cell)-1 {
		cell[1+cnt] = x
		cell[0]++
		return
	}
	s.pool2 = append(s.pool2[:0], cand{sc, x})
	for _, y := range cell[1 : 1+cnt] {
		if !d.isDead(y) {
			s.pool2 = append(s.pool2, cand{d.scoreNodes(n, y), y})
		}
	}
	sortCands(s.pool2)
	s.sel2 = d.heuristic(s.pool2, len(cell)-1, s.sel2)
	writeCell(cell, s.sel2)
}

// parallelMin is the number of inserts per worker below which
// insertParallel does not start another worker. Inserting 256-vector
// batches into 20k × 512 on two CPUs ran 2,100/s on one worker and
// 4,100-4,500/s on two; batches of 32-128 did as well as 256.
const parallelMin = 16

// insertParallel inserts nodes (levels set) whose vectors are qs on all
// CPUs. Workers yield between inserts, so that other goroutines (a writer
// back from fsync) wait for one insert at most, not a scheduler time slice.
func (d *Dense) insertParallel(nodes []uint32, qs [][]float32) {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(nodes)/parallelMin))
	if workers <= 1 {
		s := d.getScratch()
		for i, n := range nodes {
			d.insert(n, qs[i], s)
		}
		d.putScratch(s)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := d.getScratch()
			defer d.putScratch(s)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(nodes) {
					return
				}
				d.insert(nodes[i], qs[i], s)
				runtime.Gosched()
			}
		})
	}
	wg.Wait()
}

// relink re-selects live node u's links at level l after some of them
// died: candidates are its live links and the live links of its dead ones.
func (d *Dense) relink(u uint32, l int, s *scratch) {
	g := d.g
	cell := g.cell(u, l)
	if cell == nil {
		return
	}
	s.pool2 = s.pool2[:0]
	s.linksCopy = append(s.linksCopy[:0], links(cell)...)
	s.visit(u)
	add := func(y uint32) {
		if d.isDead(y) || s.visit(y) {
			return
		}
		s.pool2 = append(s.pool2, cand{d.scoreNodes(u, y), y})
	}
	for _, y := range s.linksCopy {
		add(y)
	}
	for _, y := range s.linksCopy {
		if d.isDead(y) {
			for _, z := range links(g.cell(y, l)) {
				add(z)
			}
		}
	}
	s.unvisit(u)
	for _, c := range s.pool2 {
		s.unvisit(c.id)
	}
	sortCands(s.pool2)
	s.sel2 = d.heuristic(s.pool2, len(cell)-1, s.sel2)
	writeCell(cell, s.sel2)
}

// unlink repairs the graph around node x, just marked dead: every live
// neighbor that links back to x is relinked, and a new entry point is
// chosen if x was it. Links to x from nodes x does not link to remain
// until the next sweep.
func (d *Dense) unlink(x uint32, s *scratch) {
	g := d.g
	s.resetVisited(len(d.slots))
	for l := 0; l <= g.level(x); l++ {
		s.linksCopy2 = append(s.linksCopy2[:0], links(g.cell(x, l))...)
		for _, u := range s.linksCopy2 {
			if !d.isDead(u) && slices.Contains(links(g.cell(u, l)), x) {
				d.relink(u, l, s)
			}
		}
	}
	if g.entry == x {
		d.chooseEntry()
	}
}

// chooseEntry makes the live node of highest level (lowest id among equals)
// the entry point.
func (d *Dense) chooseEntry() {
	g := d.g
	g.entry, g.maxLevel = noNode, 0
	for n := range uint32(len(d.slots)) {
		if d.isDead(n) {
			continue
		}
		if l := g.level(n); g.entry == noNode || l > g.maxLevel {
			g.entry, g.maxLevel = n, l
		}
	}
}

// sweep relinks every live node that still links to a tombstone, then
// frees the tombstones for reuse.
func (d *Dense) sweep(s *scratch) {
	g := d.g
	s.resetVisited(len(d.slots))
	for u := range uint32(len(d.slots)) {
		if d.isDead(u) {
			continue
		}
		for l := 0; l <= g.level(u); l++ {
			if slices.ContainsFunc(links(g.cell(u, l)), d.isDead) {
				d.relink(u, l, s)
			}
		}
	}
	for _, t := range d.tombs {
		g.setLevel(t, 0)
		d.free = append(d.free, t)
	}
	d.tombs = d.tombs[:0]
	if g.entry != noNode && d.isDead(g.entry) {
		d.chooseEntry()
	}
}
