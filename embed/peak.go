package embed

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// CPUPeak is the CPU's theoretical FP32 peak, derived from its vector
// width, FMA units, clock and the cores the process may use.
type CPUPeak struct {
	Brand         string  `json:"brand"`
	Cores         int     `json:"cores"`
	GHz           float64 `json:"ghz"`
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
	hz := c.Hz
	if hz <= 0 {
		hz = c.BoostFreq
	}
	p.GHz = float64(hz) / 1e9
	if p.GHz <= 0 {
		p.GHz = procCPUGHz()
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
	p.Assumption += fmt.Sprintf("; %d cores at %.2f GHz", p.Cores, p.GHz)
	return p
}

// procCPUGHz reads the clock from /proc/cpuinfo (Linux), 0 if unknown.
func procCPUGHz() float64 {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	defer f.Close()
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
