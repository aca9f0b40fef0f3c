package synth

import (
	"encoding/binary"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file hand-encodes the handful of ONNX protobuf messages that a model
// file needs. Field numbers follow onnx/onnx.proto (proto2). Messages are
// built bottom-up as byte slices because every nested message is length
// prefixed.

// ONNX TensorProto.DataType values used here.
const (
	dtFloat = 1
	dtInt8  = 3
	dtInt32 = 6
	dtInt64 = 7
)

// ONNX AttributeProto.AttributeType values used here.
const (
	attrTypeFloat = 1
	attrTypeInt   = 2
	attrTypeInts  = 7
)

// Field numbers of ModelProto.
const (
	modelIRVersion    = 1
	modelProducerName = 2
	modelProducerVer  = 3
	modelDocString    = 6
	modelGraph        = 7
	modelOpsetImport  = 8
)

// Field numbers of OperatorSetIdProto.
const (
	opsetDomain  = 1
	opsetVersion = 2
)

// Field numbers of GraphProto.
const (
	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13
)

// Field numbers of NodeProto.
const (
	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7
)

// Field numbers of AttributeProto.
const (
	attrName = 1
	attrF    = 2
	attrI    = 3
	attrInts = 8
	attrType = 20
)

// Field numbers of TensorProto.
const (
	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9
)

// Field numbers of ValueInfoProto, TypeProto, TypeProto.Tensor,
// TensorShapeProto and TensorShapeProto.Dimension.
const (
	valueInfoName   = 1
	valueInfoType   = 2
	typeTensorType  = 1
	tensorElemType  = 1
	tensorShape     = 2
	shapeDim        = 1
	dimValue        = 1
	dimParam        = 2
	maxVarintLength = binary.MaxVarintLen64
)

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

// attribute is an encoded AttributeProto.
type attribute []byte

// attrInt encodes an INT attribute.
func attrInt(name string, v int64) attribute {
	b := appendString(nil, attrName, name)
	b = appendVarint(b, attrI, v)
	return appendVarint(b, attrType, attrTypeInt)
}

// attrFloat encodes a FLOAT attribute.
func attrFloat(name string, v float32) attribute {
	b := appendString(nil, attrName, name)
	b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
	b = protowire.AppendFixed32(b, math.Float32bits(v))
	return appendVarint(b, attrType, attrTypeFloat)
}

// attrIntList encodes an INTS attribute (unpacked, as proto2 writers do).
func attrIntList(name string, vs ...int64) attribute {
	b := appendString(nil, attrName, name)
	for _, v := range vs {
		b = appendVarint(b, attrInts, v)
	}
	return appendVarint(b, attrType, attrTypeInts)
}

// encodeNode encodes a NodeProto.
func encodeNode(name, opType, domain string, inputs, outputs []string, attrs []attribute) []byte {
	var b []byte
	for _, in := range inputs {
		b = appendString(b, nodeInput, in)
	}
	for _, out := range outputs {
		b = appendString(b, nodeOutput, out)
	}
	b = appendString(b, nodeName, name)
	b = appendString(b, nodeOpType, opType)
	for _, a := range attrs {
		b = appendBytes(b, nodeAttribute, a)
	}
	if domain != "" {
		b = appendString(b, nodeDomain, domain)
	}
	return b
}

// tensorHeader encodes every TensorProto field up to and including the
// raw_data tag and length; the raw little-endian payload follows it.
func tensorHeader(name string, dataType int64, dims []int64, rawLen int) []byte {
	b := make([]byte, 0, len(name)+24+len(dims)*maxVarintLength)
	for _, d := range dims {
		b = appendVarint(b, tensorDims, d)
	}
	b = appendVarint(b, tensorDataType, dataType)
	b = appendString(b, tensorName, name)
	b = protowire.AppendTag(b, tensorRawData, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(rawLen))
}

// dim is one dimension of a value's shape: a fixed size or a symbolic name.
type dim struct {
	value int64
	param string
}

// encodeValueInfo encodes a ValueInfoProto for a tensor of elemType and shape.
func encodeValueInfo(name string, elemType int64, shape []dim) []byte {
	var sh []byte
	for _, d := range shape {
		var db []byte
		if d.param != "" {
			db = appendString(db, dimParam, d.param)
		} else {
			db = appendVarint(db, dimValue, d.value)
		}
		sh = appendBytes(sh, shapeDim, db)
	}
	tt := appendVarint(nil, tensorElemType, elemType)
	tt = appendBytes(tt, tensorShape, sh)
	typ := appendBytes(nil, typeTensorType, tt)
	b := appendString(nil, valueInfoName, name)
	return appendBytes(b, valueInfoType, typ)
}

// opset is one OperatorSetIdProto.
type opset struct {
	domain  string
	version int64
}

// model is an ONNX ModelProto whose graph is kept as separately encoded
// fields, so that large initializers are written once, straight to the
// output, instead of being copied into one contiguous buffer.
type model struct {
	irVersion int64
	opsets    []opset
	producer  string
	version   string
	doc       string
	graph     [][]byte // pieces of the encoded GraphProto, in order
}

// WriteTo writes the encoded ModelProto to w.
func (m *model) WriteTo(w io.Writer) (int64, error) {
	var head []byte
	head = appendVarint(head, modelIRVersion, m.irVersion)
	head = appendString(head, modelProducerName, m.producer)
	head = appendString(head, modelProducerVer, m.version)
	if m.doc != "" {
		head = appendString(head, modelDocString, m.doc)
	}
	var graphLen int
	for _, f := range m.graph {
		graphLen += len(f)
	}
	head = protowire.AppendTag(head, modelGraph, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(graphLen))

	var tail []byte
	for _, o := range m.opsets {
		var ob []byte
		if o.domain != "" {
			ob = appendString(ob, opsetDomain, o.domain)
		}
		ob = appendVarint(ob, opsetVersion, o.version)
		tail = appendBytes(tail, modelOpsetImport, ob)
	}

	var total int64
	for _, part := range append(append([][]byte{head}, m.graph...), tail) {
		n, err := w.Write(part)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// field returns the pieces of one length-delimited field numbered num whose
// payload is the concatenation of parts; the parts are not copied.
func field(num protowire.Number, parts ...[]byte) [][]byte {
	var n int
	for _, p := range parts {
		n += len(p)
	}
	prefix := protowire.AppendTag(nil, num, protowire.BytesType)
	prefix = protowire.AppendVarint(prefix, uint64(n))
	return append([][]byte{prefix}, parts...)
}

// AttributeProto fields and type of TENSOR attributes (Constant's value).
const (
	attrT          = 5
	attrTypeTensor = 4
)

// attrTensor encodes a TENSOR attribute holding one initializer-style
// tensor given by its header (tensorHeader) and raw payload.
func attrTensor(name string, header, raw []byte) attribute {
	b := appendString(nil, attrName, name)
	b = protowire.AppendTag(b, attrT, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(len(header)+len(raw)))
	b = append(append(b, header...), raw...)
	return appendVarint(b, attrType, attrTypeTensor)
}
