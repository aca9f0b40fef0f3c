package index

import "time"

// Vector names, as in Qdrant: one named dense and one named sparse vector.
const (
	DenseVectorName  = "dense"
	SparseVectorName = "lexical"
)

// CollectionConfig says which vectors a collection's points carry.
type CollectionConfig struct {
	// Name is the collection name: 1-255 characters of [A-Za-z0-9_-].
	Name string `json:"name"`
	// Dim is the dense vector dimension (cosine distance); 0 means the
	// collection has no dense vector.
	Dim int `json:"dim"`
	// Sparse says points may carry a sparse "lexical" vector, scored with IDF.
	Sparse bool `json:"sparse"`
}

// CollectionInfo describes a collection.
type CollectionInfo struct {
	CollectionConfig
	// Points is the number of points.
	Points int `json:"points"`
	// PayloadIndexes maps indexed fields to their type.
	PayloadIndexes map[string]FieldType `json:"payload_indexes"`
}

// FieldType is the type of a payload index.
type FieldType string

// Payload index types.
const (
	FieldKeyword  FieldType = "keyword"
	FieldInteger  FieldType = "integer"
	FieldFloat    FieldType = "float"
	FieldBool     FieldType = "bool"
	FieldDatetime FieldType = "datetime"
)

// Orderable reports whether Scroll can order by a field of this type.
func (t FieldType) Orderable() bool {
	return t == FieldInteger || t == FieldFloat || t == FieldDatetime
}

// Payload is a point's JSON object. Values are JSON types in canonical Go
// form (see CanonicalPayload): nil, bool, int64, float64, string, []any and
// map[string]any. Datetimes are RFC 3339 strings.
type Payload = map[string]any

// Sparse is a sparse vector: Indices strictly ascending, Values the same length.
type Sparse struct {
	Indices []uint32  `json:"indices"`
	Values  []float32 `json:"values"`
}

// Point is what Upsert writes.
type Point struct {
	// ID is a UUID (any case; stored canonical lowercase).
	ID      string
	Payload Payload
	// Dense is required when the collection has a dense vector.
	Dense []float32
	// Sparse is optional; nil or empty means no lexical vector.
	Sparse *Sparse
}

// With selects what reads return besides ids.
type With struct {
	Payload bool
	// Fields, when set, limits a returned payload to these top-level keys
	// (Qdrant's with_payload include): a search that needs a few fields of
	// many points copies only those.
	Fields  []string
	Vectors bool
}

// Record is a point as read back. Dense vectors come back L2-normalized
// (cosine collections store them so, as Qdrant does).
type Record struct {
	ID      string
	Payload Payload
	Dense   []float32
	Sparse  *Sparse
}

// Direction orders a scroll.
type Direction int

// Scroll directions.
const (
	Asc Direction = iota
	Desc
)

// OrderBy orders a scroll by a payload field with an orderable index.
// Points without a value for the field are left out, as in Qdrant.
type OrderBy struct {
	Key       string
	Direction Direction
}

// ScrollRequest asks for one page of points.
type ScrollRequest struct {
	Filter *Filter
	// Limit is the page size (default 10, at most 10,000).
	Limit int
	// OrderBy orders by a payload field; nil orders by id.
	OrderBy *OrderBy
	// Cursor continues from a previous page's Next; "" starts at the beginning.
	Cursor string
	With   With
}

// ScrollPage is one page; Next is "" on the last page.
type ScrollPage struct {
	Points []Record
	Next   string
}

// Fusion combines the dense and sparse result lists of a hybrid query.
type Fusion int

const (
	// FusionRRF is reciprocal rank fusion: Σ 1/(k + rank), rank from 1
	// (Qdrant counts from 0: its k is this k + 1).
	FusionRRF Fusion = iota
	// FusionDBSF is distribution-based score fusion: each list's scores
	// normalized by mean ± 3σ to [0, 1], then summed.
	FusionDBSF
)

// DefaultRRFK is the k of reciprocal rank fusion when QueryRequest.RRFK is 0.
const DefaultRRFK = 60

// QueryRequest searches a collection. With only Dense or only Sparse set it
// is a plain search; with both it is hybrid: each leg prefetches
// PrefetchLimit candidates under the same filter, then Fusion merges them.
type QueryRequest struct {
	Dense  []float32
	Sparse *Sparse
	Filter *Filter
	// Fusion merges the two legs of a hybrid query (default RRF).
	Fusion Fusion
	// RRFK is RRF's k (default DefaultRRFK).
	RRFK int
	// PrefetchLimit is how many candidates each hybrid leg contributes
	// (default max(4×(Limit+Offset), 100), at most 10,000).
	PrefetchLimit int
	// Limit is how many results to return (default 10, at most 10,000).
	Limit int
	// Offset skips the first results.
	Offset int
	// ScoreThreshold drops results scoring below it (the fused score for hybrid).
	ScoreThreshold *float32
	// Exact searches the dense leg without approximation (a scan, not the
	// HNSW graph; Qdrant's search parameter exact): slower, for
	// measurements that must not vary with how a graph was built.
	Exact bool
	With  With
	// Into, when set, is a buffer the results may be written into: the
	// returned slice may share its array, whose earlier contents the
	// caller must no longer use. It saves a query's result allocation
	// for a caller that queries in a loop (the embedded store uses it for
	// a single-leg search; others may ignore it).
	Into []ScoredPoint
}

// ScoredPoint is one query result.
type ScoredPoint struct {
	Record
	Score float32
}

// GroupBy groups query results by a payload field (keyword or integer
// values; a point with several values joins each group). A grouped query
// ignores QueryRequest.Limit and Offset (which must still be valid); its
// hybrid legs prefetch max(4·Limit·Size, 100) candidates by default.
type GroupBy struct {
	Key string
	// Size is the most points per group (default 1).
	Size int
	// Limit is the most groups (default 10).
	Limit int
}

// Group is one group of a grouped query. Key is a string or an int64.
type Group struct {
	Key  any
	Hits []ScoredPoint
}

// timeLayouts are the datetime formats payload values and range bounds accept.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}
