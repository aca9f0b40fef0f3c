package embed

import (
	"errors"
	"fmt"
	"path/filepath"
)

// BuiltinName is the directory name (under the models directory) of the
// offline model that `jieda model builtin` writes.
const BuiltinName = "builtin"

// ResolveModelDir picks the model directory to run. A configured directory
// must be usable. Otherwise the first usable of modelsDir/<defaultName> (a
// pulled catalog model) and modelsDir/builtin is chosen; the error for none
// says how to get one.
func ResolveModelDir(configured, modelsDir, defaultName string) (string, error) {
	if configured != "" {
		if _, err := CheckModelDir(configured); err != nil {
			return "", fmt.Errorf("embed.model_dir: %w", err)
		}
		return configured, nil
	}
	var errs []error
	for _, name := range []string{defaultName, BuiltinName} {
		dir := filepath.Join(modelsDir, name)
		if _, err := CheckModelDir(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		return dir, nil
	}
	return "", fmt.Errorf("no model found (run `make setup`, `jieda model pull %s` or `jieda model builtin`): %w", defaultName, errors.Join(errs...))
}
