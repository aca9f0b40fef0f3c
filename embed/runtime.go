package embed

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ORTVersion is the ONNX Runtime release the project installs (scripts/install-ort.sh).
const ORTVersion = "1.24.3"

// ORTLibEnv names the environment variable that overrides the library path.
const ORTLibEnv = "JIEDA_ORT_LIB"

// DefaultORTLib is where `make setup` installs the library, relative to the repository root.
var DefaultORTLib = filepath.Join(".cache", "onnxruntime", "current", "libonnxruntime.so.1")

// installHint tells a user how to get the library.
const installHint = "run `make setup` (scripts/install-ort.sh) or set embed.onnxruntime_lib / JIEDA_ORT_LIB to a libonnxruntime.so 1.24.x"

var ortEnv struct {
	once sync.Once
	path string
	err  error
}

// ResolveORTLib returns the library path to use: configured (non-empty) wins,
// then $JIEDA_ORT_LIB, then DefaultORTLib found relative to the working
// directory or any of its parents, or beside the executable's parent
// (bin/jieda run from anywhere in a checkout).
func ResolveORTLib(configured string) string {
	if configured != "" {
		return configured
	}
	if p := os.Getenv(ORTLibEnv); p != "" {
		return p
	}
	var roots []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			roots = append(roots, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		roots = append(roots, filepath.Dir(filepath.Dir(exe)))
	}
	for _, r := range roots {
		p := filepath.Join(r, DefaultORTLib)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return DefaultORTLib
}

// InitRuntime loads the ONNX Runtime shared library once per process. Later
// calls return the first call's outcome (ONNX Runtime's environment is
// process-global). The error names the path and the fix.
func InitRuntime(libPath string) error {
	if abs, err := filepath.Abs(libPath); err == nil {
		libPath = abs
	}
	ortEnv.once.Do(func() {
		ortEnv.path = libPath
		if _, err := os.Stat(libPath); err != nil {
			ortEnv.err = fmt.Errorf("%w: library %s not found: %s", ErrRuntimeUnavailable, libPath, installHint)
			return
		}
		ort.SetSharedLibraryPath(libPath)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			ortEnv.err = fmt.Errorf("%w: loading %s: %w; %s", ErrRuntimeUnavailable, libPath, err, installHint)
			return
		}
		_ = ort.DisableTelemetry()
	})
	if ortEnv.err == nil && libPath != ortEnv.path {
		return fmt.Errorf("%w: already initialized with %s, cannot switch to %s", ErrRuntimeUnavailable, ortEnv.path, libPath)
	}
	return ortEnv.err
}

// RuntimeVersion reports the loaded ONNX Runtime version, or "" if none is loaded.
func RuntimeVersion() string {
	if !ort.IsInitialized() {
		return ""
	}
	return ort.GetVersion()
}
