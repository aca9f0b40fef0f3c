package memstore_test

import (
	"testing"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/indextest"
	"github.com/jieda/jieda/index/memstore"
)

func TestContract(t *testing.T) {
	indextest.Run(t, func(t *testing.T) index.Store {
		s := memstore.New()
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}
