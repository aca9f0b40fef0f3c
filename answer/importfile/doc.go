// Package importfile holds what every import file shares (articles,
// resolved replies): the formats (JSONL, CSV) and the line-numbered
// errors that report every bad line at once. It depends on nothing but
// the standard library, so parsers of import files stay light.
package importfile
