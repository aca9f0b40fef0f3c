package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// session is one ONNX Runtime inference session over a model, with the
// input and output names the model actually has.
type session struct {
	s       *ort.DynamicAdvancedSession
	inputs  []string // subset of input_ids, attention_mask, token_type_ids, in model order
	hidden  int
	pooling string
	mu      sync.Mutex // one Run at a time: the session's thread pool is the parallelism
}

// sessionOptions are the knobs of one session.
type sessionOptions struct {
	threads  int
	spinning bool
}

func newSession(modelPath string, m Manifest, opts sessionOptions) (_ *session, err error) {
	ins, outs, err := ort.GetInputOutputInfo(modelPath)
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %w", ErrBadModelDir, modelPath, err)
	}
	known := map[string]bool{"input_ids": true, "attention_mask": true, "token_type_ids": true}
	var inputs []string
	for _, in := range ins {
		if !known[in.Name] {
			return nil, fmt.Errorf("%w: %s: unsupported model input %q (want input_ids, attention_mask, token_type_ids)", ErrBadModelDir, modelPath, in.Name)
		}
		inputs = append(inputs, in.Name)
	}
	if !slices.Contains(inputs, "input_ids") {
		return nil, fmt.Errorf("%w: %s: model has no input_ids input", ErrBadModelDir, modelPath)
	}
	output := m.Output
	var outInfo *ort.InputOutputInfo
	for i := range outs {
		if outs[i].Name == output || (output == "" && i == 0) {
			outInfo = &outs[i]
			break
		}
	}
	if outInfo == nil {
		return nil, fmt.Errorf("%w: %s: model has no output %q", ErrBadModelDir, modelPath, output)
	}
	dims := outInfo.Dimensions
	if len(dims) != 3 {
		return nil, fmt.Errorf("%w: %s: output %q has shape %v, want [batch, sequence, hidden]", ErrBadModelDir, modelPath, outInfo.Name, dims)
	}
	hidden := int(dims[2])
	if hidden <= 0 {
		hidden = m.Dimension
	}
	if hidden != m.Dimension {
		return nil, fmt.Errorf("%w: %s: output hidden size %d does not match manifest dimension %d", ErrBadModelDir, modelPath, hidden, m.Dimension)
	}

	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("creating session options: %w", err)
	}
	defer func() { err = errors.Join(err, so.Destroy()) }()
	if err := so.SetIntraOpNumThreads(opts.threads); err != nil {
		return nil, err
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	if err := so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll); err != nil {
		return nil, err
	}
	if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", boolFlag(opts.spinning)); err != nil {
		return nil, err
	}
	// int8 models: on x86 CPUs without VNNI, ORT's u8s8 kernels add pairs of
	// products in saturating int16, which full-range int8 weights can
	// overflow; this makes ORT re-encode int8 weights that carry a zero
	// point as uint8 there (as `jieda model quantize` writes them). It does
	// nothing on CPUs with VNNI and on float models.
	if err := so.AddSessionConfigEntry("session.x64quantprecision", "1"); err != nil {
		return nil, err
	}
	s, err := ort.NewDynamicAdvancedSession(modelPath, inputs, []string{outInfo.Name}, so)
	if err != nil {
		return nil, fmt.Errorf("%w: loading %s: %w", ErrBadModelDir, modelPath, err)
	}
	return &session{s: s, inputs: inputs, hidden: hidden, pooling: m.Pooling}, nil
}

func boolFlag(b bool) string { return strconv.Itoa(map[bool]int{false: 0, true: 1}[b]) }

func (s *session) close() error { return s.s.Destroy() }

// padded is a batch of token id rows padded to the same length.
type padded struct {
	ids, mask, types []int64
	rows, cols       int
}

// pad lays out token id rows as [rows x cols] tensors, cols = longest row.
func pad(rows [][]int64, padID int64) padded {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	p := padded{rows: len(rows), cols: cols}
	n := len(rows) * cols
	p.ids = make([]int64, n)
	p.mask = make([]int64, n)
	p.types = make([]int64, n)
	for i, r := range rows {
		row := p.ids[i*cols : (i+1)*cols]
		copy(row, r)
		for j := len(r); j < cols; j++ {
			row[j] = padID
		}
		m := p.mask[i*cols : i*cols+len(r)]
		for j := range m {
			m[j] = 1
		}
	}
	return p
}

// run executes one forward pass and returns one pooled, L2-normalized vector
// per row. A cancelled ctx terminates the run through RunOptions.Terminate;
// tensors are released only after Run has returned.
func (s *session) run(ctx context.Context, p padded) (_ [][]float32, err error) {
	shape := ort.NewShape(int64(p.rows), int64(p.cols))
	states := getStates(p.rows * p.cols * s.hidden)
	defer statesPool.Put(states) // after the tensors are destroyed (deferred below)
	var tensors []ort.Value
	defer func() {
		for _, t := range tensors {
			err = errors.Join(err, t.Destroy())
		}
	}()
	byName := map[string][]int64{"input_ids": p.ids, "attention_mask": p.mask, "token_type_ids": p.types}
	inputs := make([]ort.Value, len(s.inputs))
	for i, name := range s.inputs {
		t, err := ort.NewTensor(shape, byName[name])
		if err != nil {
			return nil, fmt.Errorf("creating %s tensor: %w", name, err)
		}
		tensors = append(tensors, t)
		inputs[i] = t
	}
	out, err := ort.NewTensor(ort.NewShape(int64(p.rows), int64(p.cols), int64(s.hidden)), *states)
	if err != nil {
		return nil, fmt.Errorf("creating output tensor: %w", err)
	}
	tensors = append(tensors, out)

	if err := runWithContext(ctx, func(opts *ort.RunOptions) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.s.RunWithOptions(inputs, []ort.Value{out}, opts)
	}); err != nil {
		return nil, err
	}
	return pool(*states, p, s.hidden, s.pooling), nil
}

// statesPool keeps the token-state buffers runs write their output into
// (rows × sequence × hidden float32s, e.g. 180 KiB for 5 questions of 18
// tokens at 512 dimensions): allocated a run, they were an eighth of the
// bytes serving a question allocates.
var statesPool sync.Pool

// getStates returns a buffer of n float32s from statesPool, or a new one.
// The model overwrites every value, so a reused buffer needs no clearing.
func getStates(n int) *[]float32 {
	if b, ok := statesPool.Get().(*[]float32); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]float32, n)
	return &b
}

// runWithContext runs f with RunOptions that are terminated when ctx is
// done. The options are destroyed only after f has returned and no
// Terminate call can still be in progress.
func runWithContext(ctx context.Context, f func(*ort.RunOptions) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	opts, err := ort.NewRunOptions()
	if err != nil {
		return fmt.Errorf("creating run options: %w", err)
	}
	var mu sync.Mutex
	finished := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !finished {
			_ = opts.Terminate()
		}
	})
	runErr := f(opts)
	stop()
	mu.Lock()
	finished = true
	mu.Unlock()
	if ctxErr := ctx.Err(); runErr != nil && ctxErr != nil {
		runErr = fmt.Errorf("inference cancelled: %w", ctxErr)
	} else if runErr != nil {
		runErr = fmt.Errorf("running model: %w", runErr)
	}
	return errors.Join(runErr, opts.Destroy())
}

// pool reduces [rows, cols, hidden] token states to one unit vector per row.
func pool(states []float32, p padded, hidden int, pooling string) [][]float32 {
	vecs := make([][]float32, p.rows)
	for i := range p.rows {
		v := make([]float32, hidden)
		base := i * p.cols * hidden
		switch pooling {
		case PoolingMean:
			n := 0
			for j := range p.cols {
				if p.mask[i*p.cols+j] == 0 {
					continue
				}
				n++
				tok := states[base+j*hidden : base+(j+1)*hidden]
				for k, x := range tok {
					v[k] += x
				}
			}
			if n > 0 {
				inv := 1 / float32(n)
				for k := range v {
					v[k] *= inv
				}
			}
		default: // cls
			copy(v, states[base:base+hidden])
		}
		l2normalize(v)
		vecs[i] = v
	}
	return vecs
}

// l2normalize scales v to unit length in place (a zero vector stays zero).
func l2normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
}
