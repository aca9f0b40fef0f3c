// Package openapitest checks HTTP responses against jieda's OpenAPI
// document, for the tests of the HTTP API and of the binary.
package openapitest
