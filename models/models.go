// Package models holds jieda's model catalog (catalog.json), the list of
// embedding models `jieda model pull` can download, embedded in the binary.
// Pulled models are written into folders beside it (git-ignored); the
// synth subpackage generates small test models.
//
// The catalog is parsed and validated by embed.ParseCatalog; this package
// holds no logic of its own.
package models

import _ "embed"

// CatalogJSON is the content of catalog.json.
//
//go:embed catalog.json
var CatalogJSON []byte
