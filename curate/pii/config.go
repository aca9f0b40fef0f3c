package pii

import (
	"errors"
	"fmt"
	"regexp"
	"unicode/utf8"
)

// Config configures a Scrubber. Each field names its config key (under
// `curate.pii.`) and default. The built-in detectors are always on unless a
// type is listed in Disable.
type Config struct {
	// OrderPatterns are extra RE2 expressions (Go regexp syntax) for a
	// shop's order numbers, matched anywhere in a text
	// (curate.pii.order_patterns). Default none: order numbers are found by
	// context ("订单号", "order #", …). A match glued to an ASCII letter or
	// digit on either side is ignored, so a pattern cannot cut a longer
	// identifier in two.
	OrderPatterns []string `mapstructure:"order_patterns"`
	// TrackingPatterns are extra RE2 expressions for a shop's carriers'
	// tracking numbers (curate.pii.tracking_patterns). Default none: the
	// common carrier formats and context ("运单号", "tracking number", …)
	// are built in. Same matching rules as OrderPatterns.
	TrackingPatterns []string `mapstructure:"tracking_patterns"`
	// Disable lists types that are left in the text (curate.pii.disable),
	// e.g. ["name"] for a shop whose replies quote brand names that look
	// like salutations. Default none. Leaving a type in the text means it
	// is stored and embedded: disable with care.
	Disable []Type `mapstructure:"disable"`
	// ExtraSurnames adds Chinese surnames (one or two characters each) to the
	// built-in list used by name detection (curate.pii.extra_surnames).
	// Default none.
	ExtraSurnames []string `mapstructure:"extra_surnames"`
}

// maxPatterns bounds the configured patterns; each one costs a scan of every text.
const maxPatterns = 64

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config { return Config{} }

// Validate checks every field and names the offending key.
func (c Config) Validate() error {
	_, _, err := c.compile()
	return err
}

// compile validates the config and compiles its patterns.
func (c Config) compile() (order, tracking []*regexp.Regexp, err error) {
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("curate.pii.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	comp := func(key string, pats []string) []*regexp.Regexp {
		if len(pats) > maxPatterns {
			bad(key, "%d patterns exceed the limit of %d", len(pats), maxPatterns)
			return nil
		}
		var out []*regexp.Regexp
		for i, p := range pats {
			re, err := regexp.Compile(p)
			switch {
			case p == "":
				bad(key, "pattern %d is empty", i)
			case err != nil:
				bad(key, "pattern %d: %v", i, err)
			case re.MatchString(""):
				bad(key, "pattern %d %q matches the empty string", i, p)
			default:
				out = append(out, re)
			}
		}
		return out
	}
	order = comp("order_patterns", c.OrderPatterns)
	tracking = comp("tracking_patterns", c.TrackingPatterns)
	for _, t := range c.Disable {
		if !t.valid() {
			bad("disable", "unknown type %q (want one of %v)", t, Types())
		}
	}
	for _, s := range c.ExtraSurnames {
		if n := utf8.RuneCountInString(s); n < 1 || n > 2 || !allHan(s) {
			bad("extra_surnames", "%q must be one or two Han characters", s)
		}
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadConfig, errors.Join(errs...))
	}
	return order, tracking, nil
}
