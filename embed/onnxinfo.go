package embed

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// Cost is the arithmetic shape of a transformer encoder, read from its ONNX
// graph, used to turn measured speed into achieved FLOP/s.
type Cost struct {
	// MatMulParams is Σ K×N over matrix multiplications by weight
	// initializers: 2 × MatMulParams FLOPs per token.
	MatMulParams int64 `json:"matmul_params"`
	// Layers counts attention blocks (Softmax or fused Attention nodes).
	Layers int `json:"layers"`
	// Hidden is the model width (K of the first weight matrix).
	Hidden int `json:"hidden"`
}

// FLOPs estimates one forward pass over rows sequences of seq tokens:
// weight matmuls plus the two attention matmuls (QKᵀ and AV) per layer.
func (c Cost) FLOPs(rows, seq int) float64 {
	r, s := float64(rows), float64(seq)
	return r * (2*s*float64(c.MatMulParams) + float64(c.Layers)*4*s*s*float64(c.Hidden))
}

// ReadCost reads an ONNX model file and derives its Cost.
func ReadCost(path string) (Cost, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Cost{}, err
	}
	graph, err := field(b, 7) // ModelProto.graph
	if err != nil || graph == nil {
		return Cost{}, fmt.Errorf("%s: no graph in model: %w", path, err)
	}
	type node struct {
		op     string
		inputs []string
	}
	weights := map[string][]int64{} // 2-D initializers by name
	var nodes []node
	for len(graph) > 0 {
		num, typ, n := protowire.ConsumeTag(graph)
		if n < 0 {
			return Cost{}, fmt.Errorf("%s: bad graph encoding", path)
		}
		graph = graph[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, graph)
			if n < 0 {
				return Cost{}, fmt.Errorf("%s: bad graph encoding", path)
			}
			graph = graph[n:]
			continue
		}
		msg, n := protowire.ConsumeBytes(graph)
		if n < 0 {
			return Cost{}, fmt.Errorf("%s: bad graph encoding", path)
		}
		graph = graph[n:]
		switch num {
		case 1: // NodeProto
			var nd node
			walk(msg, func(num protowire.Number, v []byte, _ uint64) {
				switch num {
				case 1:
					nd.inputs = append(nd.inputs, string(v))
				case 4:
					nd.op = string(v)
				}
			})
			nodes = append(nodes, nd)
		case 5: // TensorProto initializer
			var name string
			var dims []int64
			walk(msg, func(num protowire.Number, v []byte, x uint64) {
				switch num {
				case 1:
					if v == nil {
						dims = append(dims, int64(x))
						return
					}
					for len(v) > 0 { // packed
						d, n := protowire.ConsumeVarint(v)
						if n < 0 {
							return
						}
						dims = append(dims, int64(d))
						v = v[n:]
					}
				case 8:
					name = string(v)
				}
			})
			if len(dims) == 2 {
				weights[name] = dims
			}
		}
	}
	var c Cost
	for _, nd := range nodes {
		switch nd.op {
		case "Softmax", "Attention", "MultiHeadAttention":
			c.Layers++
		case "QAttention": // int8: packed Q/K/V weight at input 1
			c.Layers++
			if len(nd.inputs) < 2 {
				continue
			}
			if d, ok := weights[nd.inputs[1]]; ok {
				c.MatMulParams += d[0] * d[1]
				if c.Hidden == 0 {
					c.Hidden = int(d[0])
				}
			}
		case "MatMul", "Gemm", "MatMulInteger", "MatMulNBits", "DynamicQuantizeMatMul", "FusedMatMul":
			if len(nd.inputs) < 2 {
				continue
			}
			if d, ok := weights[nd.inputs[1]]; ok {
				c.MatMulParams += d[0] * d[1]
				if c.Hidden == 0 {
					c.Hidden = int(d[0])
				}
			}
		}
	}
	if c.MatMulParams == 0 {
		return c, fmt.Errorf("%s: found no weight matrix multiplications", path)
	}
	return c, nil
}

// field returns the first length-delimited field num of msg.
func field(msg []byte, want protowire.Number) ([]byte, error) {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		msg = msg[n:]
		if num == want && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			return v, nil
		}
		n = protowire.ConsumeFieldValue(num, typ, msg)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		msg = msg[n:]
	}
	return nil, nil
}

// walk calls f for every field of msg: bytes fields with their bytes,
// varint fields with a nil slice and their value. Malformed input stops the walk.
func walk(msg []byte, f func(num protowire.Number, b []byte, x uint64)) {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return
		}
		msg = msg[n:]
		switch typ {
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return
			}
			f(num, v, 0)
			msg = msg[n:]
		case protowire.VarintType:
			x, n := protowire.ConsumeVarint(msg)
			if n < 0 {
				return
			}
			f(num, nil, x)
			msg = msg[n:]
		default:
			n = protowire.ConsumeFieldValue(num, typ, msg)
			if n < 0 {
				return
			}
			msg = msg[n:]
		}
	}
}
