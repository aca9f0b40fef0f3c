package qdranttest_test

import (
	"context"
	"testing"

	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/jieda/jieda/index/qdrant/qdranttest"
)

const (
	id1 = "00000000-0000-4000-8000-000000000001"
	id2 = "00000000-0000-4000-8000-000000000002"
)

// dial returns raw go-client service clients on a fresh server.
func dial(t *testing.T) (qc.CollectionsClient, qc.PointsClient, *qdranttest.Server) {
	t.Helper()
	srv := qdranttest.Start(t, nil)
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return qc.NewCollectionsClient(conn), qc.NewPointsClient(conn), srv
}

func wantCode(t *testing.T, what string, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Errorf("%s: %v, want code %s", what, err, code)
	}
}

func TestStatusCodes(t *testing.T) {
	colls, pts, _ := dial(t)
	ctx := context.Background()
	_, err := colls.Get(ctx, &qc.GetCollectionInfoRequest{CollectionName: "nope"})
	wantCode(t, "info of a missing collection", err, codes.NotFound)
	del, err := colls.Delete(ctx, &qc.DeleteCollection{CollectionName: "nope"})
	if err != nil || del.GetResult() {
		t.Errorf("deleting a missing collection: %v, %v; want result false", del, err)
	}
	create := &qc.CreateCollection{CollectionName: "c",
		VectorsConfig:       qc.NewVectorsConfigMap(map[string]*qc.VectorParams{"dense": {Size: 2, Distance: qc.Distance_Cosine}}),
		SparseVectorsConfig: qc.NewSparseVectorsConfig(map[string]*qc.SparseVectorParams{"lexical": {Modifier: qc.Modifier_Idf.Enum()}}),
	}
	if _, err := colls.Create(ctx, create); err != nil {
		t.Fatal(err)
	}
	_, err = colls.Create(ctx, create)
	wantCode(t, "creating an existing collection", err, codes.AlreadyExists)
	_, err = colls.Create(ctx, &qc.CreateCollection{CollectionName: "u", VectorsConfig: qc.NewVectorsConfig(&qc.VectorParams{Size: 2, Distance: qc.Distance_Cosine})})
	wantCode(t, "an unnamed vector", err, codes.Unimplemented)

	up := func(p *qc.PointStruct) error {
		_, err := pts.Upsert(ctx, &qc.UpsertPoints{CollectionName: "c", Wait: qc.PtrOf(true), Points: []*qc.PointStruct{p}})
		return err
	}
	wantCode(t, "a numeric id", up(&qc.PointStruct{Id: qc.NewIDNum(1), Vectors: qc.NewVectorsMap(map[string]*qc.Vector{"dense": qc.NewVectorDense([]float32{1, 0})})}), codes.Unimplemented)
	wantCode(t, "an unknown vector name", up(&qc.PointStruct{Id: qc.NewIDUUID(id1), Vectors: qc.NewVectorsMap(map[string]*qc.Vector{"other": qc.NewVectorDense([]float32{1, 0})})}), codes.InvalidArgument)
	wantCode(t, "a wrong dimension", up(&qc.PointStruct{Id: qc.NewIDUUID(id1), Vectors: qc.NewVectorsMap(map[string]*qc.Vector{"dense": qc.NewVectorDense([]float32{1, 0, 0})})}), codes.InvalidArgument)
	wantCode(t, "duplicate sparse indices", up(&qc.PointStruct{Id: qc.NewIDUUID(id1), Vectors: qc.NewVectorsMap(map[string]*qc.Vector{
		"dense": qc.NewVectorDense([]float32{1, 0}), "lexical": qc.NewVectorSparse([]uint32{3, 3}, []float32{1, 1})})}), codes.InvalidArgument)
	_, err = pts.Upsert(ctx, &qc.UpsertPoints{CollectionName: "c", Points: []*qc.PointStruct{{Id: qc.NewIDUUID(id1)}}})
	wantCode(t, "a write without wait", err, codes.FailedPrecondition)
	if err := up(&qc.PointStruct{Id: qc.NewIDUUID(id1), Vectors: qc.NewVectorsMap(map[string]*qc.Vector{
		"dense": qc.NewVectorDense([]float32{1, 0}), "lexical": qc.NewVectorSparse([]uint32{9, 3}, []float32{1, 2})})}); err != nil {
		t.Fatalf("upsert: %v", err)
	}

	// Payload updates by id list fail on a missing point, as in Qdrant.
	_, err = pts.SetPayload(ctx, &qc.SetPayloadPoints{CollectionName: "c", Wait: qc.PtrOf(true),
		Payload: qc.NewValueMap(map[string]any{"k": "v"}), PointsSelector: qc.NewPointsSelector(qc.NewIDUUID(id1), qc.NewIDUUID(id2))})
	wantCode(t, "set_payload naming a missing point", err, codes.NotFound)

	_, err = pts.Scroll(ctx, &qc.ScrollPoints{CollectionName: "c", OrderBy: &qc.OrderBy{Key: "n"}})
	wantCode(t, "order_by without a range index", err, codes.InvalidArgument)
	_, err = pts.Query(ctx, &qc.QueryPoints{CollectionName: "c", Query: qc.NewQueryDense([]float32{1, 0})})
	wantCode(t, "a query without using", err, codes.InvalidArgument)

	// Sparse vectors are stored sorted by index.
	got, err := pts.Get(ctx, &qc.GetPoints{CollectionName: "c", Ids: []*qc.PointId{qc.NewIDUUID(id1)}, WithVectors: qc.NewWithVectors(true)})
	if err != nil {
		t.Fatal(err)
	}
	sp := got.GetResult()[0].GetVectors().GetVectors().GetVectors()["lexical"].GetSparseVector()
	if len(sp.GetIndices()) != 2 || sp.GetIndices()[0] != 3 || sp.GetValues()[0] != 2 {
		t.Errorf("sparse vector read back as %v", sp)
	}
}

// TestRRFDefaultK checks Qdrant's RRF formula: 1/(k + 0-based position),
// k = 2 when the request leaves it out.
func TestRRFDefaultK(t *testing.T) {
	colls, pts, _ := dial(t)
	ctx := context.Background()
	_, err := colls.Create(ctx, &qc.CreateCollection{CollectionName: "c",
		VectorsConfig:       qc.NewVectorsConfigMap(map[string]*qc.VectorParams{"dense": {Size: 2, Distance: qc.Distance_Cosine}}),
		SparseVectorsConfig: qc.NewSparseVectorsConfig(map[string]*qc.SparseVectorParams{"lexical": {Modifier: qc.Modifier_Idf.Enum()}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pts.Upsert(ctx, &qc.UpsertPoints{CollectionName: "c", Wait: qc.PtrOf(true), Points: []*qc.PointStruct{
		{Id: qc.NewIDUUID(id1), Vectors: qc.NewVectorsMap(map[string]*qc.Vector{
			"dense": qc.NewVectorDense([]float32{1, 0}), "lexical": qc.NewVectorSparse([]uint32{1}, []float32{1})})},
		{Id: qc.NewIDUUID(id2), Vectors: qc.NewVectorsMap(map[string]*qc.Vector{"dense": qc.NewVectorDense([]float32{0, 1})})},
	}})
	if err != nil {
		t.Fatal(err)
	}
	prefetch := []*qc.PrefetchQuery{
		{Query: qc.NewQueryDense([]float32{1, 0}), Using: qc.PtrOf("dense"), Limit: qc.PtrOf(uint64(10))},
		{Query: qc.NewQuerySparse([]uint32{1}, []float32{1}), Using: qc.PtrOf("lexical"), Limit: qc.PtrOf(uint64(10))},
	}
	for _, tc := range []struct {
		query *qc.Query
		want  []float32
	}{
		{qc.NewQueryFusion(qc.Fusion_RRF), []float32{1.0 / 2 * 2, 1.0 / 3}},
		{qc.NewQueryRRF(&qc.Rrf{}), []float32{1.0 / 2 * 2, 1.0 / 3}},
		{qc.NewQueryRRF(&qc.Rrf{K: qc.PtrOf(uint32(61))}), []float32{2.0 / 61, 1.0 / 62}},
	} {
		res, err := pts.Query(ctx, &qc.QueryPoints{CollectionName: "c", Prefetch: prefetch, Query: tc.query})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetResult()) != 2 || res.GetResult()[0].GetScore() != tc.want[0] || res.GetResult()[1].GetScore() != tc.want[1] {
			t.Errorf("%v: scores %v, want %v", tc.query, res.GetResult(), tc.want)
		}
	}
}
