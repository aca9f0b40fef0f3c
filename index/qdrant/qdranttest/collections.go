package qdranttest

import (
	"context"
	"errors"

	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/jieda/jieda/index"
)

// collections implements the Collections service: Get, List, Create,
// Delete and CollectionExists.
type collections struct {
	qc.UnimplementedCollectionsServer
	s *Server
}

func (c *collections) Create(ctx context.Context, req *qc.CreateCollection) (*qc.CollectionOperationResponse, error) {
	name := req.GetCollectionName()
	cfg := index.CollectionConfig{Name: name}
	vc := req.GetVectorsConfig()
	if vc.GetParams() != nil {
		return nil, unsupported("an unnamed vector")
	}
	for vname, p := range vc.GetParamsMap().GetMap() {
		if vname != index.DenseVectorName {
			return nil, unsupported("dense vector " + vname)
		}
		if p.GetDistance() != qc.Distance_Cosine {
			return nil, unsupported("distance " + p.GetDistance().String())
		}
		if p.GetSize() < 1 {
			return nil, invalid("Validation error in body: [vectors.size: value 0 invalid, must be 1 or larger]")
		}
		if p.MultivectorConfig != nil || p.Datatype != nil {
			return nil, unsupported("multivector or datatype settings")
		}
		cfg.Dim = int(p.GetSize())
	}
	for vname, p := range req.GetSparseVectorsConfig().GetMap() {
		if vname != index.SparseVectorName {
			return nil, unsupported("sparse vector " + vname)
		}
		if p.GetModifier() != qc.Modifier_Idf {
			return nil, unsupported("sparse modifier " + p.GetModifier().String())
		}
		cfg.Sparse = true
	}
	for field, v := range map[string]*uint32{"shard_number": req.ShardNumber, "replication_factor": req.ReplicationFactor,
		"write_consistency_factor": req.WriteConsistencyFactor} {
		if v != nil && *v < 1 {
			return nil, invalid("Validation error in body: [%s: value 0 invalid, must be 1 or larger]", field)
		}
	}
	if h := req.GetHnswConfig(); h != nil && h.EfConstruct != nil && *h.EfConstruct < 4 {
		return nil, invalid("Validation error in body: [hnsw_config.ef_construct: must be 4 or larger]")
	}
	c.s.ddl.Lock()
	defer c.s.ddl.Unlock()
	if _, err := c.s.backing.Collection(ctx, name); err == nil {
		return nil, status.Errorf(codes.AlreadyExists, "Wrong input: Collection `%s` already exists!", name)
	} else if !errors.Is(err, index.ErrCollectionNotFound) {
		return nil, statusOf(err, name)
	}
	if err := c.s.backing.CreateCollection(ctx, cfg); err != nil {
		return nil, statusOf(err, name)
	}
	c.s.mu.Lock()
	c.s.meta[name] = proto.Clone(req).(*qc.CreateCollection)
	c.s.mu.Unlock()
	return &qc.CollectionOperationResponse{Result: true}, nil
}

func (c *collections) Delete(ctx context.Context, req *qc.DeleteCollection) (*qc.CollectionOperationResponse, error) {
	name := req.GetCollectionName()
	c.s.ddl.Lock()
	defer c.s.ddl.Unlock()
	err := c.s.backing.DeleteCollection(ctx, name)
	if errors.Is(err, index.ErrCollectionNotFound) {
		return &qc.CollectionOperationResponse{Result: false}, nil // as Qdrant: no error, result false
	}
	if err != nil {
		return nil, statusOf(err, name)
	}
	c.s.mu.Lock()
	delete(c.s.meta, name)
	c.s.mu.Unlock()
	return &qc.CollectionOperationResponse{Result: true}, nil
}

func (c *collections) List(ctx context.Context, _ *qc.ListCollectionsRequest) (*qc.ListCollectionsResponse, error) {
	infos, err := c.s.backing.Collections(ctx)
	if err != nil {
		return nil, statusOf(err, "")
	}
	out := &qc.ListCollectionsResponse{}
	for _, info := range infos {
		out.Collections = append(out.Collections, &qc.CollectionDescription{Name: info.Name})
	}
	return out, nil
}

func (c *collections) CollectionExists(ctx context.Context, req *qc.CollectionExistsRequest) (*qc.CollectionExistsResponse, error) {
	_, err := c.s.backing.Collection(ctx, req.GetCollectionName())
	if err != nil && !errors.Is(err, index.ErrCollectionNotFound) {
		return nil, statusOf(err, req.GetCollectionName())
	}
	return &qc.CollectionExistsResponse{Result: &qc.CollectionExists{Exists: err == nil}}, nil
}

func (c *collections) Get(ctx context.Context, req *qc.GetCollectionInfoRequest) (*qc.GetCollectionInfoResponse, error) {
	name := req.GetCollectionName()
	info, err := c.s.backing.Collection(ctx, name)
	if err != nil {
		return nil, statusOf(err, name)
	}
	c.s.mu.Lock()
	create := c.s.meta[name]
	c.s.mu.Unlock()
	return &qc.GetCollectionInfoResponse{Result: collectionInfo(info, create)}, nil
}

// collectionInfo describes a collection as Qdrant does, echoing the
// settings it was created with.
func collectionInfo(info index.CollectionInfo, create *qc.CreateCollection) *qc.CollectionInfo {
	if create == nil { // created directly in the backing store
		create = &qc.CreateCollection{}
	}
	params := &qc.CollectionParams{
		ShardNumber:            max(create.GetShardNumber(), 1),
		OnDiskPayload:          create.GetOnDiskPayload(),
		ReplicationFactor:      qc.PtrOf(max(create.GetReplicationFactor(), 1)),
		WriteConsistencyFactor: qc.PtrOf(max(create.GetWriteConsistencyFactor(), 1)),
		VectorsConfig:          qc.NewVectorsConfigMap(map[string]*qc.VectorParams{}),
	}
	if info.Dim > 0 {
		dense := &qc.VectorParams{Size: uint64(info.Dim), Distance: qc.Distance_Cosine}
		if p := create.GetVectorsConfig().GetParamsMap().GetMap()[index.DenseVectorName]; p != nil {
			dense = proto.Clone(p).(*qc.VectorParams)
		}
		params.VectorsConfig = qc.NewVectorsConfigMap(map[string]*qc.VectorParams{index.DenseVectorName: dense})
	}
	if info.Sparse {
		params.SparseVectorsConfig = qc.NewSparseVectorsConfig(map[string]*qc.SparseVectorParams{
			index.SparseVectorName: {Modifier: qc.Modifier_Idf.Enum()},
		})
	}
	hnsw := &qc.HnswConfigDiff{M: qc.PtrOf(uint64(16)), EfConstruct: qc.PtrOf(uint64(100)),
		FullScanThreshold: qc.PtrOf(uint64(10000)), OnDisk: qc.PtrOf(false)}
	if h := create.GetHnswConfig(); h != nil {
		proto.Merge(hnsw, h)
	}
	out := &qc.CollectionInfo{
		Status:          qc.CollectionStatus_Green,
		OptimizerStatus: &qc.OptimizerStatus{Ok: true},
		SegmentsCount:   1,
		Config: &qc.CollectionConfig{
			Params:             params,
			HnswConfig:         hnsw,
			OptimizerConfig:    &qc.OptimizersConfigDiff{},
			WalConfig:          &qc.WalConfigDiff{},
			QuantizationConfig: create.GetQuantizationConfig(),
			Metadata:           create.GetMetadata(),
		},
		PayloadSchema: map[string]*qc.PayloadSchemaInfo{},
		PointsCount:   qc.PtrOf(uint64(info.Points)),
	}
	for field, t := range info.PayloadIndexes {
		out.PayloadSchema[field] = &qc.PayloadSchemaInfo{DataType: schemaTypes[t]}
	}
	return out
}

var schemaTypes = map[index.FieldType]qc.PayloadSchemaType{
	index.FieldKeyword:  qc.PayloadSchemaType_Keyword,
	index.FieldInteger:  qc.PayloadSchemaType_Integer,
	index.FieldFloat:    qc.PayloadSchemaType_Float,
	index.FieldBool:     qc.PayloadSchemaType_Bool,
	index.FieldDatetime: qc.PayloadSchemaType_Datetime,
}
