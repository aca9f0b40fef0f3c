// Package indextest is the contract suite every index.Store engine must
// pass: one set of subtests, run against the embedded engine, the Qdrant
// engine (a real Qdrant when QDRANT_ADDR is set, an in-process fake
// otherwise) and index/memstore, which validates the suite itself.
//
// # Basics
//
// An engine's test calls Run with a constructor:
//
//	func TestContract(t *testing.T) {
//		indextest.Run(t, func(t *testing.T) index.Store {
//			s := open(t)
//			t.Cleanup(func() { _ = s.Close() })
//			return s
//		})
//	}
//
// Expected results are exact: hand-picked cases (filters, groups, IDF,
// rankings) and a brute-force reference computed inside the suite from the
// formulas of package index (cosine on normalized vectors, Σ q·d·IDF with
// live document frequencies, index.FuseRRF and index.FuseDBSF over legs of
// PrefetchLimit candidates) and from index.Filter.Match over random
// payloads. Rankings compare ids in order and scores within 1e-4; points
// whose reference scores are equal within 1e-6 may come in either order.
// Random queries are drawn so that distinct reference scores are at least
// 2e-5 apart, out of reach of float rounding.
//
// # Caveats
//
// Collections stay small (at most a few hundred points), where engines
// must be exact: approximate (HNSW) search may only start above that.
// Dotted keys are only tested through objects, never through arrays of
// objects, where index.Values and Qdrant disagree.
package indextest
