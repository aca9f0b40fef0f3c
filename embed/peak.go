package embed

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/cpuid/v2"
)

// CPUPeak is the CPU's theoretical FP32 peak, derived from its vector
// width, FMA units, clock and the cores the process may use.
type CPUPeak struct {
	Brand         string  `json:"brand"`
	Cores         int     `json:"cores"`
	GHz           float64 `json:"ghz"`
	ReportedGHz   float64 `json:"reported_ghz"`
	VectorBits    int     `json:"vector_bits"`
	FMAUnits      int     `json:"fma_units"`
	FlopsPerCyc   int     `json:"flops_per_cycle_per_core"`
	GFLOPS        float64 `json:"peak_gflops"`
	Assumption    string  `json:"assumption"`
	HasVNNI       bool    `json:"avx512_vnni"`
	HasAMX        bool    `json:"amx"`
	HasAVX512BF16 bool    `json:"avx512_bf16"`
}

// DetectPeak estimates the FP32 peak: cores × GHz × (lanes × 2 for FMA × FMA units).
func DetectPeak() CPUPeak {
	c := cpuid.CPU
	p := CPUPeak{Brand: c.BrandName, Cores: runtime.NumCPU(),
		HasVNNI: c.Supports(cpuid.AVX512VNNI), HasAMX: c.Supports(cpuid.AMXTILE),
		HasAVX512BF16: c.Supports(cpuid.AVX512BF16)}
	// The clock under load, measured; a VM's reported clock is often the
	// base clock, well below what the core runs at.
	p.GHz = measureGHz()
	p.ReportedGHz = float64(c.BoostFreq) / 1e9
	if p.ReportedGHz <= 0 {
		p.ReportedGHz = procCPUGHz()
	}
	if p.GHz <= 0 {
		p.GHz = p.ReportedGHz
	}
	// Datapath width and FMA pipes per core, per microarchitecture.
	switch {
	case c.VendorID == cpuid.AMD && c.Family == 0x19 && c.Supports(cpuid.AVX512F):
		// Zen 4 executes AVX-512 on two 256-bit FMA pipes.
		p.VectorBits, p.FMAUnits, p.Assumption = 256, 2, "AMD Zen 4: AVX-512 on two 256-bit FMA pipes"
	case c.VendorID == cpuid.AMD && c.Family >= 0x1A && c.Supports(cpuid.AVX512F):
		p.VectorBits, p.FMAUnits, p.Assumption = 512, 2, "AMD Zen 5: two 512-bit FMA pipes"
	case c.VendorID == cpuid.AMD && c.Supports(cpuid.FMA3):
		p.VectorBits, p.FMAUnits, p.Assumption = 256, 2, "AMD Zen 2/3: two 256-bit FMA pipes"
	case c.Supports(cpuid.AVX512F):
		p.VectorBits, p.FMAUnits, p.Assumption = 512, 2, "Intel server core with AVX-512: two 512-bit FMA units"
	case c.Supports(cpuid.FMA3):
		p.VectorBits, p.FMAUnits, p.Assumption = 256, 2, "AVX2 core: two 256-bit FMA units"
	default:
		p.VectorBits, p.FMAUnits, p.Assumption = 128, 1, "SSE core: one 128-bit unit, no FMA"
	}
	lanes := p.VectorBits / 32
	p.FlopsPerCyc = lanes * 2 * p.FMAUnits
	p.GFLOPS = float64(p.Cores) * p.GHz * float64(p.FlopsPerCyc)
	p.Assumption += fmt.Sprintf("; %d cores at %.2f GHz measured (%.2f GHz reported)", p.Cores, p.GHz, p.ReportedGHz)
	return p
}

// procCPUGHz reads the clock from /proc/cpuinfo (Linux), 0 if unknown.
func procCPUGHz() float64 {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "cpu MHz" {
			mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return mhz / 1000
			}
		}
	}
	return 0
}

// measureGHz times a chain of dependent single-cycle integer operations
// (LEA, XOR: one cycle each on current x86 cores) and returns the best of
// five runs in GHz.
func measureGHz() float64 {
	const n = 20_000_000
	best := 0.0
	for range 5 {
		start := time.Now()
		runtime.KeepAlive(dependentChain(n, 12345))
		if d := time.Since(start).Seconds(); d > 0 {
			best = max(best, 4*n/d/1e9)
		}
	}
	return best
}

// dependentChain runs n iterations of four dependent one-cycle operations.
//
//go:noinline
func dependentChain(n, k int) int {
	x := 0
	for i := 0; i < n; i++ {
		x += i
		x ^= k
		x += i
		x ^= k
	}
	return x
}
