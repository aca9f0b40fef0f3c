// Package index is jieda's system of record: the Store interface
// (collections of points with a JSON payload, a dense and a sparse vector,
// filters, hybrid query with fusion, scroll and count), the embedded engine
// and the Qdrant engine, proven by one contract test suite.
//
// The engines land with their own issue; this package fixes the layout.
package index
