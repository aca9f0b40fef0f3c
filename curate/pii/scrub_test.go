package pii

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestScrubFindings(t *testing.T) {
	s := newTestScrubber(t)
	in := "张先生，电话13812345678，邮箱a@b.com"
	got := s.Scrub(in)
	want := Result{
		Text: "{name}，电话{phone}，邮箱{email}",
		Findings: []Finding{
			{Type: Name, Start: 0, End: len("张先生")},
			{Type: Phone, Start: strings.Index(in, "138"), End: strings.Index(in, "138") + 11},
			{Type: Email, Start: strings.Index(in, "a@b"), End: len(in)},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scrub (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[Type]int{Name: 1, Phone: 1, Email: 1}, got.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}

func TestScrubEmpty(t *testing.T) {
	s := newTestScrubber(t)
	if diff := cmp.Diff(Result{}, s.Scrub("")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := s.Scrub("您好").Counts(); len(got) != 0 {
		t.Errorf("Counts = %v, want empty", got)
	}
}

// TestFullWidthOffsets checks that findings in full-width text point at the
// original bytes.
func TestFullWidthOffsets(t *testing.T) {
	s := newTestScrubber(t)
	in := "手機：１３８１２３４５６７８，謝謝"
	r := s.Scrub(in)
	if r.Text != "手機：{phone}，謝謝" {
		t.Fatalf("Text = %q", r.Text)
	}
	f := r.Findings[0]
	if got := in[f.Start:f.End]; got != "１３８１２３４５６７８" {
		t.Errorf("finding covers %q", got)
	}
}

// TestInvalidUTF8: invalid bytes become U+FFFD, offsets stay in the input,
// nothing panics, and personal data next to bad bytes is still found.
func TestInvalidUTF8(t *testing.T) {
	s := newTestScrubber(t)
	in := "电话\xff13812345678\xfe\xfd，邮箱a@b.com\xc3"
	r := s.Scrub(in)
	if !utf8.ValidString(r.Text) {
		t.Fatalf("output not valid UTF-8: %q", r.Text)
	}
	want := "电话\uFFFD{phone}\uFFFD，邮箱{email}\uFFFD"
	if r.Text != want {
		t.Errorf("Text = %q, want %q", r.Text, want)
	}
	checkInvariants(t, in, r)
	if got := in[r.Findings[0].Start:r.Findings[0].End]; got != "13812345678" {
		t.Errorf("phone finding covers %q", got)
	}
	if again := s.Scrub(r.Text); again.Text != r.Text {
		t.Errorf("not idempotent: %q -> %q", r.Text, again.Text)
	}
}

// TestPlaceholdersKept: placeholders in the input are never data.
func TestPlaceholdersKept(t *testing.T) {
	s := newTestScrubber(t)
	for _, in := range []string{
		"{phone}{email}{id_number}{card_number}{order_number}{tracking_number}{address}{name}",
		"订单号 {order_number}，电话{phone}",
		"Dear {name}, ship to {address}",
		"我叫{name}，{name}先生",
	} {
		r := s.Scrub(in)
		if r.Text != in || len(r.Findings) != 0 {
			t.Errorf("Scrub(%q) = %q %v", in, r.Text, r.Findings)
		}
	}
}

// TestOverlaps checks that the more specific type wins.
func TestOverlaps(t *testing.T) {
	s := newTestScrubber(t)
	tests := []struct{ in, want string }{
		// A checksum-valid ID beats the order context; an invalid one is the order number.
		{"订单号 110105194912311006", "订单号 {id_number}"},
		{"订单号 110105194912310021", "订单号 {order_number}"},
		// A bare invalid 18-digit number is not an ID.
		{"110105194912310021", "{order_number}"},
		// An email holding a phone number is an email.
		{"13812345678@163.com", "{email}"},
		// Order context beats the phone format.
		{"订单号 13812345678", "订单号 {order_number}"},
		// A phone inside an address splits it; both are scrubbed.
		{"深圳市南山区科技园路18号13812345678", "{address}{phone}"},
		// Card context beats Luhn.
		{"卡号 6222021234567890123", "卡号 {card_number}"},
		// An order list continues after the keyword.
		{"order no. 12345678, 12345679 and 12345680", "order no. {order_number}, {order_number} and {order_number}"},
	}
	for _, tt := range tests {
		if got := s.Scrub(tt.in).Text; got != tt.want {
			t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestResultHoldsNoRawData: a Result, as JSON, never holds the data.
func TestResultHoldsNoRawData(t *testing.T) {
	s := newTestScrubber(t)
	for _, c := range loadPositives(t) {
		b, err := json.Marshal(s.Scrub(c.text))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if raw, _ := json.Marshal(w.raw); strings.Contains(string(b), strings.Trim(string(raw), `"`)) {
				t.Errorf("line %d: result JSON holds %q: %s", c.line, w.raw, b)
			}
		}
	}
}

func TestConfigPatterns(t *testing.T) {
	cfg := DefaultConfig()
	cfg.OrderPatterns = []string{`SO-\d{8}`}
	cfg.TrackingPatterns = []string{`ZX\d{10}`}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"SO-20240501 已取消", "{order_number} 已取消"},
		{"包裹 ZX1234567890 到了", "包裹 {tracking_number} 到了"},
		// Glued to a letter or digit: not a match.
		{"XSO-20240501", "XSO-20240501"},
		{"ZX12345678901", "ZX12345678901"},
	}
	for _, tt := range tests {
		if got := s.Scrub(tt.in).Text; got != tt.want {
			t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	tests := []struct {
		name string
		cfg  Config
		key  string
	}{
		{"bad regexp", Config{OrderPatterns: []string{`(`}}, "curate.pii.order_patterns"},
		{"empty", Config{TrackingPatterns: []string{``}}, "curate.pii.tracking_patterns"},
		{"matches empty", Config{OrderPatterns: []string{`\d*`}}, "curate.pii.order_patterns"},
		{"too many", Config{OrderPatterns: make([]string, maxPatterns+1)}, "curate.pii.order_patterns"},
		{"unknown type", Config{Disable: []Type{"ssn"}}, "curate.pii.disable"},
		{"bad surname", Config{ExtraSurnames: []string{"Smith"}}, "curate.pii.extra_surnames"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("%s: Validate() = %v, want ErrBadConfig naming %s", tt.name, err, tt.key)
		}
		if _, err := New(tt.cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: New() = %v, want ErrBadConfig", tt.name, err)
		}
	}
}

func TestConfigDisableAndSurnames(t *testing.T) {
	s, err := New(Config{Disable: []Type{Name}, ExtraSurnames: []string{"乜"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Scrub("张先生 13812345678").Text; got != "张先生 {phone}" {
		t.Errorf("with names disabled: %q", got)
	}
	s, err = New(Config{ExtraSurnames: []string{"乜"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Scrub("乜先生您好").Text; got != "{name}您好" {
		t.Errorf("extra surname: %q", got)
	}
	if got := newTestScrubber(t).Scrub("乜先生您好").Text; got != "乜先生您好" {
		t.Errorf("extra surname leaked into the default scrubber: %q", got)
	}
}

func TestConcurrent(t *testing.T) {
	s := newTestScrubber(t)
	cases := loadPositives(t)
	want := make([]string, len(cases))
	for i, c := range cases {
		want[i] = s.Scrub(c.text).Text
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, c := range cases {
				if got := s.Scrub(c.text).Text; got != want[i] {
					t.Errorf("concurrent Scrub(%q) = %q, want %q", c.text, got, want[i])
				}
			}
		}()
	}
	wg.Wait()
}

func TestIDValidation(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"110105194912311006", true},
		{"11010519880515105X", true},
		{"110105194912311007", false}, // check digit
		{"990105194912311006", false}, // province
		{"510107200102291232", false}, // 2001-02-29
		{"110105194913311006", false}, // month 13
	}
	for _, tt := range tests {
		if got := validID18(tt.id); got != tt.want {
			t.Errorf("validID18(%s) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if !luhn("4111111111111111") || luhn("4111111111111112") {
		t.Error("luhn")
	}
}
