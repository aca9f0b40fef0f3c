package intake

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoModelDependency keeps the parsers light: intake must not pull in
// the answer engine, cgo or the ONNX Runtime binding.
func TestNoModelDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "runtime/cgo" || strings.Contains(dep, "onnxruntime") || strings.HasSuffix(dep, "/jieda/answer") || strings.HasSuffix(dep, "/jieda/embed") {
			t.Errorf("curate/intake depends on %s", dep)
		}
	}
}
