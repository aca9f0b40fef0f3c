package synth

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// A minimal ONNX decoder, enough to check what the encoder wrote and to read
// the op types of an optimized model that ONNX Runtime saved.

type decodedModel struct {
	irVersion int64
	producer  string
	opsets    map[string]int64
	graph     decodedGraph
}

type decodedGraph struct {
	name    string
	nodes   []decodedNode
	inits   map[string]decodedTensor
	inputs  []decodedValue
	outputs []decodedValue
}

type decodedNode struct {
	name, opType, domain string
	inputs, outputs      []string
	attrs                map[string]decodedAttr
}

type decodedAttr struct {
	typ  int64
	i    int64
	f    float32
	ints []int64
}

type decodedTensor struct {
	dims     []int64
	dataType int64
	raw      []byte
}

func (t decodedTensor) floats() []float32 {
	vs := make([]float32, len(t.raw)/4)
	for i := range vs {
		vs[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.raw[4*i:]))
	}
	return vs
}

func (t decodedTensor) int64s() []int64 {
	vs := make([]int64, len(t.raw)/8)
	for i := range vs {
		vs[i] = int64(binary.LittleEndian.Uint64(t.raw[8*i:]))
	}
	return vs
}

type decodedValue struct {
	name     string
	elemType int64
	dims     []string // dim_param, or the dim_value in decimal
}

// eachField calls f for every field of the message b.
func eachField(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

func decodeModel(b []byte) (decodedModel, error) {
	m := decodedModel{opsets: map[string]int64{}}
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
		switch num {
		case modelIRVersion:
			m.irVersion = int64(x)
		case modelProducerName:
			m.producer = string(v)
		case modelGraph:
			g, err := decodeGraph(v)
			m.graph = g
			return err
		case modelOpsetImport:
			var domain string
			var version int64
			err := eachField(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
				switch num {
				case opsetDomain:
					domain = string(v)
				case opsetVersion:
					version = int64(x)
				}
				return nil
			})
			m.opsets[domain] = version
			return err
		}
		return nil
	})
	return m, err
}

func decodeGraph(b []byte) (decodedGraph, error) {
	g := decodedGraph{inits: map[string]decodedTensor{}}
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case graphNode:
			n, err := decodeNode(v)
			g.nodes = append(g.nodes, n)
			return err
		case graphName:
			g.name = string(v)
		case graphInitializer:
			name, t, err := decodeTensor(v)
			g.inits[name] = t
			return err
		case graphInput, graphOutput:
			vi, err := decodeValueInfo(v)
			if num == graphInput {
				g.inputs = append(g.inputs, vi)
			} else {
				g.outputs = append(g.outputs, vi)
			}
			return err
		}
		return nil
	})
	return g, err
}

func decodeNode(b []byte) (decodedNode, error) {
	n := decodedNode{attrs: map[string]decodedAttr{}}
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case nodeInput:
			n.inputs = append(n.inputs, string(v))
		case nodeOutput:
			n.outputs = append(n.outputs, string(v))
		case nodeName:
			n.name = string(v)
		case nodeOpType:
			n.opType = string(v)
		case nodeDomain:
			n.domain = string(v)
		case nodeAttribute:
			var name string
			var a decodedAttr
			err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch num {
				case attrName:
					name = string(v)
				case attrF:
					a.f = math.Float32frombits(uint32(x))
				case attrI:
					a.i = int64(x)
				case attrInts:
					if typ == protowire.BytesType { // packed
						for len(v) > 0 {
							y, k := protowire.ConsumeVarint(v)
							if k < 0 {
								return protowire.ParseError(k)
							}
							a.ints = append(a.ints, int64(y))
							v = v[k:]
						}
					} else {
						a.ints = append(a.ints, int64(x))
					}
				case attrType:
					a.typ = int64(x)
				}
				return nil
			})
			n.attrs[name] = a
			return err
		}
		return nil
	})
	return n, err
}

func decodeTensor(b []byte) (string, decodedTensor, error) {
	var name string
	var t decodedTensor
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case tensorDims:
			if typ == protowire.BytesType {
				for len(v) > 0 {
					y, k := protowire.ConsumeVarint(v)
					if k < 0 {
						return protowire.ParseError(k)
					}
					t.dims = append(t.dims, int64(y))
					v = v[k:]
				}
			} else {
				t.dims = append(t.dims, int64(x))
			}
		case tensorDataType:
			t.dataType = int64(x)
		case tensorName:
			name = string(v)
		case tensorRawData:
			t.raw = v
		}
		return nil
	})
	return name, t, err
}

func decodeValueInfo(b []byte) (decodedValue, error) {
	var vi decodedValue
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case valueInfoName:
			vi.name = string(v)
		case valueInfoType:
			return eachField(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				if num != typeTensorType {
					return nil
				}
				return eachField(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
					switch num {
					case tensorElemType:
						vi.elemType = int64(x)
					case tensorShape:
						return eachField(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
							if num != shapeDim {
								return nil
							}
							d := "?"
							err := eachField(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
								switch num {
								case dimValue:
									d = fmt.Sprint(int64(x))
								case dimParam:
									d = string(v)
								}
								return nil
							})
							vi.dims = append(vi.dims, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return vi, err
}

// opCounts counts the graph's nodes by op type.
func (g decodedGraph) opCounts() map[string]int {
	c := map[string]int{}
	for _, n := range g.nodes {
		c[n.opType]++
	}
	return c
}
