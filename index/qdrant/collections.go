package qdrant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	qc "github.com/qdrant/go-client/qdrant"

	"github.com/jieda/jieda/index"
)

// maxName is the longest collection name Qdrant accepts.
const maxName = 255

// metaName is the collection metadata key holding index's collection name.
const metaName = "jieda_name"

// qname is a collection's name in Qdrant: the prefix plus the name, or,
// when that is longer than Qdrant allows, its head and a hash of the name
// (the name itself is kept in the collection's metadata).
func (s *Store) qname(name string) string {
	q := s.cfg.CollectionPrefix + name
	if len(q) <= maxName {
		return q
	}
	sum := sha256.Sum256([]byte(name))
	tail := "-" + hex.EncodeToString(sum[:8])
	return q[:maxName-len(tail)] + tail
}

// checkName validates a collection name.
func (s *Store) checkName(name string) error {
	return index.ValidateCollectionName(name)
}

// do runs a call on one collection, forgetting the cached settings when
// Qdrant says the collection is gone.
func (s *Store) do(ctx context.Context, collection, op string, rpc func(ctx context.Context) error) error {
	err := s.call(ctx, op+" "+collection, rpc)
	if errors.Is(err, index.ErrCollectionNotFound) {
		s.forget(collection)
	}
	return err
}

func (s *Store) forget(name string) {
	s.mu.Lock()
	delete(s.known, name)
	s.mu.Unlock()
}

// collection returns a collection's vector settings, cached after the
// first read. Unknown collections are index.ErrCollectionNotFound.
func (s *Store) collection(ctx context.Context, name string) (index.CollectionConfig, error) {
	if err := s.begin(ctx); err != nil {
		return index.CollectionConfig{}, err
	}
	if err := s.checkName(name); err != nil {
		return index.CollectionConfig{}, err
	}
	s.mu.Lock()
	cfg, ok := s.known[name]
	s.mu.Unlock()
	if ok {
		return cfg, nil
	}
	info, err := s.info(ctx, name)
	if err != nil {
		return index.CollectionConfig{}, err
	}
	cfg, err = vectorSettings(name, info)
	if err != nil {
		return index.CollectionConfig{}, err
	}
	s.mu.Lock()
	s.known[name] = cfg
	s.mu.Unlock()
	return cfg, nil
}

// info reads a collection's info from Qdrant.
func (s *Store) info(ctx context.Context, name string) (*qc.CollectionInfo, error) {
	var resp *qc.GetCollectionInfoResponse
	err := s.do(ctx, name, "reading collection", func(ctx context.Context) (err error) {
		resp, err = s.conn().colls.Get(ctx, &qc.GetCollectionInfoRequest{CollectionName: s.qname(name)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp.GetResult(), nil
}

// vectorSettings reads Dim and Sparse from a collection's Qdrant config,
// refusing collections whose vectors are not jieda's.
func vectorSettings(name string, info *qc.CollectionInfo) (index.CollectionConfig, error) {
	cfg := index.CollectionConfig{Name: name}
	params := info.GetConfig().GetParams()
	vc := params.GetVectorsConfig()
	if p := vc.GetParams(); p != nil {
		return cfg, fmt.Errorf("%w: qdrant collection %s has an unnamed vector, not jieda's %q", index.ErrInvalidArgument, name, index.DenseVectorName)
	}
	for vname, p := range vc.GetParamsMap().GetMap() {
		if vname != index.DenseVectorName || p.GetDistance() != qc.Distance_Cosine {
			return cfg, fmt.Errorf("%w: qdrant collection %s has vector %q (%s), not jieda's cosine %q",
				index.ErrInvalidArgument, name, vname, p.GetDistance(), index.DenseVectorName)
		}
		cfg.Dim = int(p.GetSize())
	}
	for vname, p := range params.GetSparseVectorsConfig().GetMap() {
		if vname != index.SparseVectorName || p.GetModifier() != qc.Modifier_Idf {
			return cfg, fmt.Errorf("%w: qdrant collection %s has sparse vector %q (modifier %s), not jieda's %q with idf",
				index.ErrInvalidArgument, name, vname, p.GetModifier(), index.SparseVectorName)
		}
		cfg.Sparse = true
	}
	return cfg, nil
}

// createRequest builds a CreateCollection request from the config.
func (s *Store) createRequest(cfg index.CollectionConfig) *qc.CreateCollection {
	req := &qc.CreateCollection{
		CollectionName:         s.qname(cfg.Name),
		ShardNumber:            qc.PtrOf(uint32(s.cfg.ShardNumber)),
		ReplicationFactor:      qc.PtrOf(uint32(s.cfg.ReplicationFactor)),
		WriteConsistencyFactor: qc.PtrOf(uint32(s.cfg.WriteConsistencyFactor)),
		OnDiskPayload:          qc.PtrOf(s.cfg.OnDiskPayload),
		HnswConfig: &qc.HnswConfigDiff{
			M:           qc.PtrOf(uint64(s.cfg.HNSWM)),
			EfConstruct: qc.PtrOf(uint64(s.cfg.HNSWEfConstruct)),
		},
		VectorsConfig: qc.NewVectorsConfigMap(map[string]*qc.VectorParams{}),
		Metadata:      map[string]*qc.Value{metaName: qc.NewValueString(cfg.Name)},
	}
	if cfg.Dim > 0 {
		req.VectorsConfig = qc.NewVectorsConfigMap(map[string]*qc.VectorParams{
			index.DenseVectorName: {Size: uint64(cfg.Dim), Distance: qc.Distance_Cosine},
		})
		if s.cfg.Quantization == "int8" {
			req.QuantizationConfig = qc.NewQuantizationScalar(&qc.ScalarQuantization{
				Type: qc.QuantizationType_Int8, AlwaysRam: qc.PtrOf(true),
			})
		}
	}
	if cfg.Sparse {
		req.SparseVectorsConfig = qc.NewSparseVectorsConfig(map[string]*qc.SparseVectorParams{
			index.SparseVectorName: {Modifier: qc.Modifier_Idf.Enum()},
		})
	}
	return req
}

// CreateCollection creates a collection, or does nothing if one with the
// same vector settings exists.
func (s *Store) CreateCollection(ctx context.Context, cfg index.CollectionConfig) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := s.checkName(cfg.Name); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		s.forget(cfg.Name)
		have, err := s.collection(ctx, cfg.Name)
		if err == nil {
			return sameSettings(have, cfg)
		}
		if !errors.Is(err, index.ErrCollectionNotFound) {
			return err
		}
		err = s.call(ctx, "creating collection "+cfg.Name, func(ctx context.Context) error {
			_, err := s.conn().colls.Create(ctx, s.createRequest(cfg))
			return err
		})
		if err == nil {
			s.mu.Lock()
			s.known[cfg.Name] = cfg
			s.mu.Unlock()
			return nil
		}
		// A concurrent create (or a retried one that had succeeded) says
		// "already exists": compare with what is there.
		if attempt > 0 || !strings.Contains(err.Error(), "already exists") {
			return err
		}
	}
}

func sameSettings(have, want index.CollectionConfig) error {
	switch {
	case have.Dim != want.Dim:
		return fmt.Errorf("%w: collection %s has dimension %d, not %d", index.ErrDimensionMismatch, want.Name, have.Dim, want.Dim)
	case have.Sparse != want.Sparse:
		return fmt.Errorf("%w: collection %s exists with sparse=%t, not %t", index.ErrInvalidArgument, want.Name, have.Sparse, want.Sparse)
	}
	return nil
}

// DeleteCollection removes a collection and its points.
func (s *Store) DeleteCollection(ctx context.Context, name string) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := s.checkName(name); err != nil {
		return err
	}
	s.forget(name)
	var resp *qc.CollectionOperationResponse
	err := s.call(ctx, "deleting collection "+name, func(ctx context.Context) (err error) {
		resp, err = s.conn().colls.Delete(ctx, &qc.DeleteCollection{CollectionName: s.qname(name)})
		return err
	})
	if err != nil {
		return err
	}
	if !resp.GetResult() {
		return fmt.Errorf("%w: %s", index.ErrCollectionNotFound, name)
	}
	return nil
}

// Collections lists the collections with this store's prefix, sorted by name.
func (s *Store) Collections(ctx context.Context) ([]index.CollectionInfo, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	var resp *qc.ListCollectionsResponse
	err := s.call(ctx, "listing collections", func(ctx context.Context) (err error) {
		resp, err = s.conn().colls.List(ctx, &qc.ListCollectionsRequest{})
		return err
	})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range resp.GetCollections() {
		q := c.GetName()
		name, ok := strings.CutPrefix(q, s.cfg.CollectionPrefix)
		if !ok {
			continue
		}
		if len(q) == maxName { // perhaps a hashed long name: its metadata knows
			var info *qc.GetCollectionInfoResponse
			err := s.call(ctx, "reading collection "+q, func(ctx context.Context) (err error) {
				info, err = s.conn().colls.Get(ctx, &qc.GetCollectionInfoRequest{CollectionName: q})
				return err
			})
			if errors.Is(err, index.ErrCollectionNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if v := info.GetResult().GetConfig().GetMetadata()[metaName].GetStringValue(); v != "" {
				name = v
			}
		}
		if index.ValidateCollectionName(name) == nil && s.qname(name) == q {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := []index.CollectionInfo{}
	for _, name := range names {
		info, err := s.Collection(ctx, name)
		if errors.Is(err, index.ErrCollectionNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// Collection returns one collection's settings, exact point count and payload indexes.
func (s *Store) Collection(ctx context.Context, name string) (index.CollectionInfo, error) {
	if err := s.begin(ctx); err != nil {
		return index.CollectionInfo{}, err
	}
	if err := s.checkName(name); err != nil {
		return index.CollectionInfo{}, err
	}
	info, err := s.info(ctx, name)
	if err != nil {
		return index.CollectionInfo{}, err
	}
	cfg, err := vectorSettings(name, info)
	if err != nil {
		return index.CollectionInfo{}, err
	}
	n, err := s.count(ctx, name, nil)
	if err != nil {
		return index.CollectionInfo{}, err
	}
	out := index.CollectionInfo{CollectionConfig: cfg, Points: n, PayloadIndexes: payloadIndexes(info)}
	return out, nil
}

// payloadIndexes lists the indexed fields of types index knows.
func payloadIndexes(info *qc.CollectionInfo) map[string]index.FieldType {
	out := map[string]index.FieldType{}
	for field, schema := range info.GetPayloadSchema() {
		if t, ok := schemaTypes[schema.GetDataType()]; ok {
			out[field] = t
		}
	}
	return out
}

// CreatePayloadIndex creates a payload index and waits for it; another
// type replaces the index, as in Qdrant.
func (s *Store) CreatePayloadIndex(ctx context.Context, collection, field string, typ index.FieldType) error {
	if _, err := s.collection(ctx, collection); err != nil {
		return err
	}
	if field == "" {
		return fmt.Errorf("%w: payload index without a field name", index.ErrInvalidArgument)
	}
	ft, ok := fieldTypes[typ]
	if !ok {
		return fmt.Errorf("%w: unknown payload index type %q", index.ErrInvalidArgument, typ)
	}
	return s.do(ctx, collection, "creating payload index", func(ctx context.Context) error {
		_, err := s.conn().points.CreateFieldIndex(ctx, &qc.CreateFieldIndexCollection{
			CollectionName: s.qname(collection),
			Wait:           qc.PtrOf(true),
			FieldName:      field,
			FieldType:      ft.Enum(),
			Ordering:       s.ordering(),
		})
		return err
	})
}

func (s *Store) ordering() *qc.WriteOrdering {
	return &qc.WriteOrdering{Type: writeOrderings[s.cfg.WriteOrdering]}
}
