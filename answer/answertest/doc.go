// Package answertest holds test helpers shared by the tests of answer,
// curate and the binary.
package answertest
