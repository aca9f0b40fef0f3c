package embedded

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/index"
)

// The crash test re-executes the test binary as a child that writes to a
// store in a loop and reports each write on stdout only after the store
// acknowledged it; the parent kills the child with SIGKILL at a random
// moment, reopens the store and checks that everything acknowledged is
// there, that the write in flight is all or nothing, and that the indexes
// agree with each other.

const (
	crashDirEnv   = "JIEDA_CRASH_DIR"
	crashModeEnv  = "JIEDA_CRASH_MODE"
	crashRoundEnv = "JIEDA_CRASH_ROUND"
	crashCol      = "crash"
	crashDim      = 16
)

func crashConfig(dir string) Config {
	cfg := testConfig(dir)
	cfg.ExactBelow = 200 // the HNSW graph is live, and stale after every kill
	return cfg
}

// crashPointID is point j of batch b of round r.
func crashPointID(r, b, j int) int { return (r*10_000+b)*10_000 + j }

// crashPoint is the deterministic content of a point.
func crashPoint(r, b, j int) index.Point {
	n := crashPointID(r, b, j)
	return index.Point{
		ID:      testID(n),
		Dense:   testVector(n, crashDim),
		Sparse:  testSparse(n),
		Payload: index.Payload{"round": r, "batch": b, "j": j, "tag": fmt.Sprintf("t%d", b%5)},
	}
}

// TestCrashChild is the child's side; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the crash test's child")
	}
	r, _ := strconv.Atoi(os.Getenv(crashRoundEnv))
	big := os.Getenv(crashModeEnv) == "big"
	ctx := context.Background()
	s, err := Open(ctx, crashConfig(dir), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if err := s.CreateCollection(ctx, index.CollectionConfig{Name: crashCol, Dim: crashDim, Sparse: true}); err != nil {
		fail(err)
	}
	for field, typ := range map[string]index.FieldType{"round": index.FieldInteger, "batch": index.FieldInteger, "tag": index.FieldKeyword} {
		if err := s.CreatePayloadIndex(ctx, crashCol, field, typ); err != nil {
			fail(err)
		}
	}
	fmt.Println("ready")
	rng := rand.New(rand.NewPCG(uint64(r), 99))
	for b := 0; b < 9_999; b++ {
		if !big && b%4 == 3 {
			// Delete batch b-2, an upsert of this round.
			fmt.Printf("begin del %d %d\n", r, b-2)
			var ids []string
			for j := range 10_000 {
				ids = append(ids, testID(crashPointID(r, b-2, j)))
			}
			if err := s.Delete(ctx, crashCol, ids); err != nil {
				fail(err)
			}
			fmt.Printf("ack del %d %d\n", r, b-2)
			continue
		}
		n := 1 + rng.IntN(64)
		if big {
			n = 5000
		}
		pts := make([]index.Point, n)
		for j := range pts {
			pts[j] = crashPoint(r, b, j)
		}
		fmt.Printf("begin up %d %d %d\n", r, b, n)
		if err := s.Upsert(ctx, crashCol, pts); err != nil {
			fail(err)
		}
		fmt.Printf("ack up %d %d %d\n", r, b, n)
	}
	fail(fmt.Errorf("child ran out of batches"))
}

// crashModel is what the parent knows was acknowledged.
type crashModel struct {
	live     map[[2]int]int  // batch → size, acknowledged upserts
	deleted  map[[2]int]bool // acknowledged deletes
	inflight *crashOp        // begun, not acknowledged
	acked    int             // acknowledged writes in all
}

type crashOp struct {
	del  bool
	key  [2]int
	size int
}

func (m *crashModel) line(t *testing.T, line string) {
	f := strings.Fields(line)
	if len(f) < 4 || (f[0] != "begin" && f[0] != "ack") {
		return
	}
	r, _ := strconv.Atoi(f[2])
	b, _ := strconv.Atoi(f[3])
	op := &crashOp{del: f[1] == "del", key: [2]int{r, b}}
	if !op.del {
		op.size, _ = strconv.Atoi(f[4])
	}
	if f[0] == "begin" {
		m.inflight = op
		return
	}
	m.inflight = nil
	m.acked++
	if op.del {
		delete(m.live, op.key)
		m.deleted[op.key] = true
	} else {
		m.live[op.key] = op.size
	}
}

// runChild starts a child for round r and kills it after a random delay.
func (m *crashModel) runChild(t *testing.T, dir, mode string, r int, rng *rand.Rand, maxDelay time.Duration) (ready bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashModeEnv+"="+mode, crashRoundEnv+"="+strconv.Itoa(r))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	lines := make(chan string)
	go func() {
		defer close(lines)
		br := bufio.NewReader(out)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return // a line cut by the kill has no newline: not acknowledged
			}
			lines <- line
		}
	}()
	delay := time.Duration(rng.Int64N(int64(maxDelay)))
	// One round in five kills the child soon after it starts, often while
	// it opens the store.
	var kill <-chan time.Time
	if rng.IntN(5) == 0 {
		kill = time.After(time.Duration(rng.Int64N(int64(80 * time.Millisecond))))
	}
	killed := false
loop:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				break loop
			}
			if strings.HasPrefix(line, "ready") {
				ready = true
				if kill == nil && !killed {
					kill = time.After(delay)
				}
			}
			m.line(t, line)
		case <-kill:
			_ = cmd.Process.Kill()
			killed, kill = true, nil
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("round %d: child exited by itself (%v): %s", r, err, stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		t.Fatalf("round %d: child failed (exit %d): %s", r, ee.ExitCode(), stderr.String())
	}
	return ready
}

// verify opens the store the child left and checks it against the model.
func (m *crashModel) verify(t *testing.T, dir string, r int) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, crashConfig(dir), nil)
	if err != nil {
		t.Fatalf("round %d: open after kill: %v", r, err)
	}
	defer func() { must(t, s.Close()) }()
	if _, err := s.Collection(ctx, crashCol); err != nil {
		if len(m.live)+len(m.deleted) == 0 {
			return // killed before the collection was created
		}
		t.Fatalf("round %d: %v", r, err)
	}
	// Read everything back by scrolling.
	found := map[[2]int]int{}
	total := 0
	tags := map[string]int{}
	rounds := map[int64]int{}
	var probe index.Point
	for cur := ""; ; {
		page, err := s.Scroll(ctx, crashCol, index.ScrollRequest{Limit: 700, Cursor: cur, With: index.With{Payload: true, Vectors: true}})
		must(t, err)
		for _, p := range page.Points {
			rr, b, j := int(p.Payload["round"].(int64)), int(p.Payload["batch"].(int64)), int(p.Payload["j"].(int64))
			want := crashPoint(rr, b, j)
			if p.ID != want.ID || !closeTo(p.Dense, want.Dense) || !closeTo(p.Sparse.Values, want.Sparse.Values) ||
				fmt.Sprint(p.Sparse.Indices) != fmt.Sprint(want.Sparse.Indices) || p.Payload["tag"] != want.Payload["tag"] {
				t.Fatalf("round %d: point %s differs from what was written: %+v", r, p.ID, p)
			}
			found[[2]int{rr, b}]++
			tags[p.Payload["tag"].(string)]++
			rounds[int64(rr)]++
			total++
			probe = want
		}
		if page.Next == "" {
			break
		}
		cur = page.Next
	}
	for k, size := range m.live {
		if m.inflight != nil && m.inflight.del && m.inflight.key == k && found[k] == 0 {
			continue // the delete in flight committed
		}
		if found[k] != size {
			t.Fatalf("round %d: acknowledged batch %v has %d of %d points", r, k, found[k], size)
		}
	}
	for k, n := range found {
		switch _, ok := m.live[k]; {
		case ok:
		case m.inflight != nil && !m.inflight.del && m.inflight.key == k:
			if n != m.inflight.size {
				t.Fatalf("round %d: batch in flight %v has %d of %d points: not atomic", r, k, n, m.inflight.size)
			}
		default:
			t.Fatalf("round %d: batch %v (%d points) was never written or was deleted", r, k, n)
		}
	}
	// What was in flight is durable now, one way or the other.
	if op := m.inflight; op != nil {
		switch {
		case op.del && found[op.key] == 0:
			delete(m.live, op.key)
			m.deleted[op.key] = true
		case !op.del && found[op.key] == op.size:
			m.live[op.key] = op.size
		}
		m.inflight = nil
	}
	// The counts of the indexes agree with the scroll.
	n, err := s.Count(ctx, crashCol, nil)
	must(t, err)
	if n != total {
		t.Fatalf("round %d: Count %d, scroll found %d", r, n, total)
	}
	for tag, want := range tags {
		n, err := s.Count(ctx, crashCol, &index.Filter{Must: []index.Condition{index.MatchKeyword("tag", tag)}})
		must(t, err)
		if n != want {
			t.Fatalf("round %d: Count(tag=%s) %d, scroll found %d", r, tag, n, want)
		}
	}
	for rr, want := range rounds {
		n, err := s.Count(ctx, crashCol, &index.Filter{Must: []index.Condition{index.NumberRange("round", index.Range{Gte: index.F(float64(rr)), Lte: index.F(float64(rr))})}})
		must(t, err)
		if n != want {
			t.Fatalf("round %d: Count(round=%d) %d, scroll found %d", r, rr, n, want)
		}
	}
	if total == 0 {
		return
	}
	// Queries work and find a stored point by its own vectors.
	res, err := s.Query(ctx, crashCol, index.QueryRequest{Dense: probe.Dense, Limit: 3})
	must(t, err)
	if len(res) == 0 || res[0].ID != probe.ID || res[0].Score < 0.999 {
		t.Fatalf("round %d: dense query for %s: %+v", r, probe.ID, res)
	}
	hyb, err := s.Query(ctx, crashCol, index.QueryRequest{Dense: probe.Dense, Sparse: probe.Sparse, Limit: 3})
	must(t, err)
	if len(hyb) != min(3, total) {
		t.Fatalf("round %d: hybrid query for %s: %+v", r, probe.ID, hyb)
	}
}

func crashKills(env string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(env)); err == nil && n > 0 {
		return n
	}
	return def
}

// crashSeedEnv replays a crash test's kill timings: set it to the seed a
// failing run printed.
const crashSeedEnv = "JIEDA_CRASH_SEED"

// crashSeed is $JIEDA_CRASH_SEED, or a fresh seed; a failing test prints
// it with the command that replays it.
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with %s=%d go test ./index/embedded -run '^%s$'", crashSeedEnv, seed, t.Name())
		}
	})
	t.Logf("seed %d", seed)
	return seed
}

// TestCrash kills a writing child 20 times (JIEDA_CRASH_KILLS for more)
// and checks the store after each kill.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	rng := rand.New(rand.NewPCG(crashSeed(t), 1))
	dir := t.TempDir()
	m := &crashModel{live: map[[2]int]int{}, deleted: map[[2]int]bool{}}
	kills := crashKills("JIEDA_CRASH_KILLS", 20)
	opening, inflight := 0, 0
	for r := 1; r <= kills; r++ {
		if !m.runChild(t, dir, "small", r, rng, 300*time.Millisecond) {
			opening++
		}
		if m.inflight != nil {
			inflight++
		}
		m.verify(t, dir, r)
	}
	t.Logf("%d kills (%d while opening, %d with a write in flight), %d acknowledged writes, %d batches live",
		kills, opening, inflight, m.acked, len(m.live))
}

// TestCrashBigBatch kills a child upserting 5,000 points per call: each
// batch is all or nothing.
func TestCrashBigBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	rng := rand.New(rand.NewPCG(crashSeed(t), 2))
	dir := t.TempDir()
	m := &crashModel{live: map[[2]int]int{}, deleted: map[[2]int]bool{}}
	kills := crashKills("JIEDA_CRASH_BIG_KILLS", 4)
	inflight := 0
	for r := 1; r <= kills; r++ {
		m.runChild(t, dir, "big", r, rng, 1500*time.Millisecond)
		if m.inflight != nil {
			inflight++
		}
		m.verify(t, dir, r)
	}
	t.Logf("%d kills (%d with a batch in flight), %d acknowledged batches", kills, inflight, m.acked)
}
