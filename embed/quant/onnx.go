package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file decodes the parts of an ONNX ModelProto that quantization
// rewrites (the graph's nodes and initializers) and keeps every other field
// as it was encoded, so that a model round-trips byte for byte apart from
// what the rewrite changes. Field numbers follow onnx/onnx.proto.

// ONNX TensorProto.DataType values.
const (
	dtFloat = 1
	dtUint8 = 2
	dtInt8  = 3
	dtInt32 = 6
	dtInt64 = 7
)

// ONNX AttributeProto.AttributeType values.
const (
	attrTypeFloat  = 1
	attrTypeInt    = 2
	attrTypeTensor = 4
	attrTypeGraph  = 5
	attrTypeInts   = 7
	attrTypeGraphs = 10
)

// Field numbers.
const (
	modelGraph         = 7
	modelOpsetImport   = 8
	modelMetadataProps = 14

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrName = 1
	attrF    = 2
	attrI    = 3
	attrT    = 5
	attrInts = 8
	attrType = 20

	tensorDims         = 1
	tensorDataType     = 2
	tensorFloatData    = 4
	tensorInt32Data    = 5
	tensorInt64Data    = 7
	tensorName         = 8
	tensorRawData      = 9
	tensorExternalData = 13
	tensorDataLocation = 14

	valueInfoName = 1

	entryKey   = 1
	entryValue = 2
)

// msDomain is the operator domain of ONNX Runtime's contrib operators.
const msDomain = "com.microsoft"

// model is a decoded ModelProto.
type model struct {
	// kept are the encoded fields other than the graph and opset imports.
	kept   []byte
	opsets []opset
	graph  *graph
}

type opset struct {
	domain  string
	version int64
}

// graph is a decoded GraphProto.
type graph struct {
	nodes []*node
	inits []*tensor
	// inputs and outputs are the names of the graph's inputs and outputs.
	inputs, outputs []string
	// valueInfo holds each value_info entry with the value it describes.
	valueInfo []namedField
	// kept are the other encoded fields (name, inputs, outputs, doc, ...).
	kept []byte
}

// namedField is one encoded field (tag included) about a named value.
type namedField struct {
	name string
	enc  []byte
}

// node is a decoded NodeProto.
type node struct {
	inputs, outputs      []string
	name, opType, domain string
	attrs                []*attr
	// kept are the other encoded fields (doc_string, overload, ...).
	kept []byte
}

// attr is one node attribute; enc is its encoded AttributeProto.
type attr struct {
	name string
	typ  int64
	enc  []byte
}

// tensor is a decoded TensorProto.
type tensor struct {
	name     string
	dims     []int64
	dataType int64
	// data is the little-endian payload, from raw_data or the typed fields.
	data []byte
	// enc is the original encoding, written back when the tensor is kept.
	enc []byte
	// external is set for data stored outside the model file.
	external bool
}

// fieldFunc is called by eachField with one field: its number, wire type,
// value (bytes fields) or number (varint and fixed fields) and its whole
// encoding, tag included.
type fieldFunc func(num protowire.Number, typ protowire.Type, v []byte, x uint64, enc []byte) error

// eachField calls f for every field of the message b.
func eachField(b []byte, f fieldFunc) error {
	for len(b) > 0 {
		start := b
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
		if err := f(num, typ, v, x, start[:len(start)-len(b)]); err != nil {
			return err
		}
	}
	return nil
}

// varints decodes a repeated int64 field given packed or as one value.
func varints(typ protowire.Type, v []byte, x uint64) ([]int64, error) {
	if typ != protowire.BytesType {
		return []int64{int64(x)}, nil
	}
	var out []int64
	for len(v) > 0 {
		y, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		out = append(out, int64(y))
		v = v[n:]
	}
	return out, nil
}

func decodeModel(b []byte) (*model, error) {
	m := &model{}
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, enc []byte) error {
		switch num {
		case modelGraph:
			g, err := decodeGraph(v)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			m.graph = g
		case modelOpsetImport:
			var o opset
			err := eachField(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64, _ []byte) error {
				switch num {
				case opsetDomain:
					o.domain = string(v)
				case opsetVersion:
					o.version = int64(x)
				}
				return nil
			})
			if err != nil {
				return err
			}
			m.opsets = append(m.opsets, o)
		default:
			m.kept = append(m.kept, enc...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m.graph == nil {
		return nil, fmt.Errorf("no graph")
	}
	return m, nil
}

func decodeGraph(b []byte) (*graph, error) {
	g := &graph{}
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, enc []byte) error {
		switch num {
		case graphNode:
			n, err := decodeNode(v)
			if err != nil {
				return fmt.Errorf("node: %w", err)
			}
			g.nodes = append(g.nodes, n)
			return nil
		case graphInitializer:
			t, err := decodeTensor(v)
			if err != nil {
				return fmt.Errorf("initializer: %w", err)
			}
			t.enc = v
			g.inits = append(g.inits, t)
			return nil
		case graphValueInfo:
			name, err := valueName(v)
			g.valueInfo = append(g.valueInfo, namedField{name: name, enc: enc})
			return err
		case graphInput, graphOutput:
			name, err := valueName(v)
			if num == graphInput {
				g.inputs = append(g.inputs, name)
			} else {
				g.outputs = append(g.outputs, name)
			}
			if err != nil {
				return err
			}
		}
		g.kept = append(g.kept, enc...)
		return nil
	})
	return g, err
}

func valueName(b []byte) (string, error) {
	var name string
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ []byte) error {
		if num == valueInfoName {
			name = string(v)
		}
		return nil
	})
	return name, err
}

func decodeNode(b []byte) (*node, error) {
	n := &node{}
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, enc []byte) error {
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
			a := &attr{enc: v}
			err := eachField(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64, _ []byte) error {
				switch num {
				case attrName:
					a.name = string(v)
				case attrType:
					a.typ = int64(x)
				}
				return nil
			})
			n.attrs = append(n.attrs, a)
			return err
		default:
			n.kept = append(n.kept, enc...)
		}
		return nil
	})
	return n, err
}

func decodeTensor(b []byte) (*tensor, error) {
	t := &tensor{}
	var floats []byte // float_data, as little-endian bytes
	var ints []int64  // int32_data or int64_data
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64, _ []byte) error {
		switch num {
		case tensorDims:
			ds, err := varints(typ, v, x)
			t.dims = append(t.dims, ds...)
			return err
		case tensorDataType:
			t.dataType = int64(x)
		case tensorName:
			t.name = string(v)
		case tensorRawData:
			t.data = v
		case tensorFloatData:
			if typ == protowire.BytesType {
				floats = append(floats, v...)
			} else {
				floats = binary.LittleEndian.AppendUint32(floats, uint32(x))
			}
		case tensorInt32Data, tensorInt64Data:
			vs, err := varints(typ, v, x)
			ints = append(ints, vs...)
			return err
		case tensorExternalData:
			t.external = true
		case tensorDataLocation:
			t.external = x == 1
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if t.data == nil {
		switch {
		case floats != nil:
			t.data = floats
		case ints != nil && t.dataType == dtInt64:
			for _, v := range ints {
				t.data = binary.LittleEndian.AppendUint64(t.data, uint64(v))
			}
		case ints != nil && t.dataType == dtInt32:
			for _, v := range ints {
				t.data = binary.LittleEndian.AppendUint32(t.data, uint32(v))
			}
		case ints != nil && (t.dataType == dtInt8 || t.dataType == dtUint8):
			for _, v := range ints {
				t.data = append(t.data, byte(v))
			}
		}
	}
	return t, nil
}

// numel is the number of elements of a tensor with dims.
func numel(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}

// floats returns a float32 tensor's values, or false when it has none in
// the file.
func (t *tensor) floats() ([]float32, bool) {
	if t.dataType != dtFloat || t.external || int64(len(t.data)) != 4*numel(t.dims) {
		return nil, false
	}
	vs := make([]float32, len(t.data)/4)
	for i := range vs {
		vs[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.data[4*i:]))
	}
	return vs, true
}

// attrValue decodes one attribute's scalar, list and tensor values.
type attrValue struct {
	i    int64
	f    float32
	ints []int64
	t    *tensor
}

func (a *attr) value() (attrValue, error) {
	var av attrValue
	err := eachField(a.enc, func(num protowire.Number, typ protowire.Type, v []byte, x uint64, _ []byte) error {
		switch num {
		case attrI:
			av.i = int64(x)
		case attrF:
			av.f = math.Float32frombits(uint32(x))
		case attrInts:
			vs, err := varints(typ, v, x)
			av.ints = append(av.ints, vs...)
			return err
		case attrT:
			t, err := decodeTensor(v)
			av.t = t
			return err
		}
		return nil
	})
	return av, err
}

// attr returns the node's attribute called name, or nil.
func (n *node) attr(name string) *attr {
	for _, a := range n.attrs {
		if a.name == name {
			return a
		}
	}
	return nil
}

// intAttr returns an INT attribute, or def when the node has none.
func (n *node) intAttr(name string, def int64) int64 {
	a := n.attr(name)
	if a == nil || a.typ != attrTypeInt {
		return def
	}
	v, err := a.value()
	if err != nil {
		return def
	}
	return v.i
}

// floatAttr returns a FLOAT attribute, or def when the node has none.
func (n *node) floatAttr(name string, def float32) float32 {
	a := n.attr(name)
	if a == nil || a.typ != attrTypeFloat {
		return def
	}
	v, err := a.value()
	if err != nil {
		return def
	}
	return v.f
}

// intsAttr returns an INTS attribute, or nil.
func (n *node) intsAttr(name string) []int64 {
	a := n.attr(name)
	if a == nil || a.typ != attrTypeInts {
		return nil
	}
	v, err := a.value()
	if err != nil {
		return nil
	}
	return v.ints
}

// Encoding.

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// intAttribute encodes an INT attribute.
func intAttribute(name string, v int64) *attr {
	b := appendString(nil, attrName, name)
	b = appendVarint(b, attrI, v)
	return &attr{name: name, typ: attrTypeInt, enc: appendVarint(b, attrType, attrTypeInt)}
}

// intsAttribute encodes an INTS attribute.
func intsAttribute(name string, vs ...int64) *attr {
	b := appendString(nil, attrName, name)
	for _, v := range vs {
		b = appendVarint(b, attrInts, v)
	}
	return &attr{name: name, typ: attrTypeInts, enc: appendVarint(b, attrType, attrTypeInts)}
}

func (t *tensor) encode() []byte {
	if t.enc != nil {
		return t.enc
	}
	var b []byte
	for _, d := range t.dims {
		b = appendVarint(b, tensorDims, d)
	}
	b = appendVarint(b, tensorDataType, t.dataType)
	b = appendString(b, tensorName, t.name)
	return appendBytes(b, tensorRawData, t.data)
}

func (n *node) encode() []byte {
	var b []byte
	for _, in := range n.inputs {
		b = appendString(b, nodeInput, in)
	}
	for _, out := range n.outputs {
		b = appendString(b, nodeOutput, out)
	}
	b = appendString(b, nodeName, n.name)
	b = appendString(b, nodeOpType, n.opType)
	for _, a := range n.attrs {
		b = appendBytes(b, nodeAttribute, a.enc)
	}
	if n.domain != "" {
		b = appendString(b, nodeDomain, n.domain)
	}
	return append(b, n.kept...)
}

func (g *graph) encode() []byte {
	var b []byte
	for _, n := range g.nodes {
		b = appendBytes(b, graphNode, n.encode())
	}
	for _, t := range g.inits {
		b = appendBytes(b, graphInitializer, t.encode())
	}
	for _, vi := range g.valueInfo {
		b = append(b, vi.enc...)
	}
	return append(b, g.kept...)
}

// encode writes the model with metadata entries appended to its
// metadata_props.
func (m *model) encode(metadata [][2]string) []byte {
	b := slices.Clone(m.kept)
	for _, kv := range metadata {
		e := appendString(nil, entryKey, kv[0])
		e = appendString(e, entryValue, kv[1])
		b = appendBytes(b, modelMetadataProps, e)
	}
	for _, o := range m.opsets {
		var ob []byte
		if o.domain != "" {
			ob = appendString(ob, opsetDomain, o.domain)
		}
		ob = appendVarint(ob, opsetVersion, o.version)
		b = appendBytes(b, modelOpsetImport, ob)
	}
	return appendBytes(b, modelGraph, m.graph.encode())
}

// opsetVersion returns the version the model imports domain at, or 0.
func (m *model) opsetVersion(domain string) int64 {
	for _, o := range m.opsets {
		if o.domain == domain || (domain == "" && o.domain == "ai.onnx") {
			return o.version
		}
	}
	return 0
}
