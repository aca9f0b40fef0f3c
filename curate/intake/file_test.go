package intake

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestReadResolvedFile(t *testing.T) {
	tests := []struct {
		path string
		want []Resolved
	}{
		{"testdata/resolved.jsonl", []Resolved{
			{
				Question: "发票怎么开？", Reply: "您好，下单后在订单详情页点击“申请发票”，电子发票24小时内发到邮箱。",
				Agent: "小美", CSAT: ptr(5), Ticket: "T-100",
				ResolvedAt: time.Date(2025, 1, 3, 8, 30, 0, 0, time.FixedZone("", 8*3600)),
			},
			{
				Question: "Do you ship to Canada?", Reply: "Yes, we ship to Canada; delivery takes 7-12 business days.",
				CSAT: ptr(4), Ticket: "101", ResolvedAt: time.Date(2025, 1, 4, 0, 0, 0, 0, time.UTC),
			},
			{
				Question: "可以改地址吗", Reply: "发货前可以在订单页修改收货地址，发货后请联系快递改派。",
				ResolvedAt: time.Unix(1735900000, 0).UTC(), Reusable: ptr(true),
			},
		}},
		{"testdata/resolved.csv", []Resolved{
			{
				Question: "Is the jacket waterproof?", Reply: "Yes, it is rated 10,000 mm; seams are taped.",
				Agent: "Priya", CSAT: ptr(5), Ticket: "C-1", Reusable: ptr(true),
				ResolvedAt: time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC),
			},
			{
				Question: "运费谁出", Reply: "质量问题退货运费由我们承担，\n非质量问题由买家承担。",
				ResolvedAt: time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC),
			},
		}},
	}
	for _, tc := range tests {
		got, err := ReadResolvedFile(tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.path, diff)
		}
	}
}

// lineErrs flattens err into "line N: message" strings.
func lineErrs(t *testing.T, err error) []string {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FileError", err, err)
	}
	if !errors.Is(err, ErrInvalidResolved) {
		t.Errorf("errors.Is(%v, ErrInvalidResolved) = false", err)
	}
	var out []string
	for _, le := range fe.Errors {
		out = append(out, le.Error())
	}
	return out
}

func TestReadResolvedJSONLErrors(t *testing.T) {
	in := strings.Join([]string{
		`{"question": "ok", "reply": "fine answer"}`,
		`{"question": "  ", "reply": "answer"}`,
		`{"question": "q", "reply": ""}`,
		"{\"question\": \"q\xff\", \"reply\": \"r\"}",
		`{"question": "q", "reply": "r", "csat": 6}`,
		`{"question": "q", "reply": "r", "csat": 4.5}`,
		`{"question": "q", "reply": "r", "resolved_at": "yesterday"}`,
		`{"question": "q", "reply": "r", "resolved_at": "2025-13-01"}`,
		`{"question": "q", "reply": "r"`,
		`{"question": "q", "reply": "r"} {"question": "q2"}`,
		`["q", "r"]`,
		``,
		`{"question": "", "reply": "", "csat": 0, "resolved_at": "01/02/2025", "ticket": true}`,
	}, "\n")
	items, err := ReadResolved(strings.NewReader(in), FormatJSONL)
	if items != nil {
		t.Errorf("items = %v, want none from a file with bad lines", items)
	}
	want := []string{
		"line 2: invalid resolved reply: empty question",
		"line 3: invalid resolved reply: empty reply",
		"line 4: invalid resolved reply: invalid UTF-8",
		`line 5: invalid resolved reply: csat: "6" is not a whole number from 1 to 5`,
		`line 6: invalid resolved reply: csat: "4.5" is not a whole number from 1 to 5`,
		`line 7: invalid resolved reply: resolved_at: "yesterday" is not an RFC 3339 datetime or a date (YYYY-MM-DD)`,
		`line 8: invalid resolved reply: resolved_at: "2025-13-01" is not an RFC 3339 datetime or a date (YYYY-MM-DD)`,
		"line 9: invalid resolved reply: malformed JSON: unexpected EOF",
		"line 10: invalid resolved reply: more than one JSON value on the line",
		"line 11: invalid resolved reply: malformed JSON: json: cannot unmarshal array into Go value of type intake.wireResolved",
		"line 13: invalid resolved reply: csat: \"0\" is not a whole number from 1 to 5\n" +
			"invalid resolved reply: resolved_at: \"01/02/2025\" is not an RFC 3339 datetime or a date (YYYY-MM-DD)\n" +
			"invalid resolved reply: ticket: true is not a string or a number\n" +
			"invalid resolved reply: empty question\n" +
			"invalid resolved reply: empty reply",
	}
	if diff := cmp.Diff(want, lineErrs(t, err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestReadResolvedCSVErrors(t *testing.T) {
	in := "\uFEFFQuestion,Reply,CSAT,resolved_at,reusable\n" +
		"q1,r1,5,2025-01-01,true\n" +
		",r2,,,\n" +
		"q3,r3,9,,\n" +
		"q4,r4,,01/01/2025,\n" +
		"q5,r5,,,maybe\n" +
		"\n" +
		"q7,\"unterminated\n"
	_, err := ReadResolved(strings.NewReader(in), FormatCSV)
	want := []string{
		"line 3: invalid resolved reply: empty question",
		`line 4: invalid resolved reply: csat: "9" is not a whole number from 1 to 5`,
		`line 5: invalid resolved reply: resolved_at: "01/01/2025" is not an RFC 3339 datetime or a date (YYYY-MM-DD)`,
		`line 6: invalid resolved reply: reusable: "maybe" is not true or false`,
		`line 8: invalid resolved reply: extraneous or missing " in quoted-field`,
	}
	if diff := cmp.Diff(want, lineErrs(t, err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestReadResolvedCSVHeader(t *testing.T) {
	tests := []struct {
		header string
		want   []string
	}{
		{"question,answer", []string{
			`line 1: invalid resolved reply: unknown CSV column "answer" (known: question, reply, agent, csat, resolved_at, ticket, source, reusable)` + "\n" +
				`invalid resolved reply: CSV header lacks the "reply" column`,
		}},
		{"question,reply,question", []string{`line 1: invalid resolved reply: CSV column "question" repeats`}},
	}
	for _, tc := range tests {
		_, err := ReadResolved(strings.NewReader(tc.header+"\nq,r,x\n"), FormatCSV)
		if diff := cmp.Diff(tc.want, lineErrs(t, err)); diff != "" {
			t.Errorf("header %q (-want +got):\n%s", tc.header, diff)
		}
	}
}

func TestReadResolvedEmptyAndUnknownFormat(t *testing.T) {
	for _, f := range []Format{FormatJSONL, FormatCSV} {
		items, err := ReadResolved(strings.NewReader(""), f)
		if err != nil || len(items) != 0 {
			t.Errorf("%s: empty input = %v, %v; want nothing", f, items, err)
		}
	}
	if _, err := ReadResolved(strings.NewReader(""), "xml"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("format xml: err = %v, want ErrUnknownFormat", err)
	}
	if _, err := FormatOf("tickets.xlsx"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("FormatOf(.xlsx): err = %v, want ErrUnknownFormat", err)
	}
	if f, err := FormatOf("a/B.NDJSON"); f != FormatJSONL || err != nil {
		t.Errorf("FormatOf(.NDJSON) = %q, %v", f, err)
	}
}

// TestScanResume shows the resume pattern: a first run stops after line 3
// (as a crash would), a second run skips lines up to 3 and finishes; every
// line is delivered exactly once over the two runs, and bad lines are
// reported at the end without stopping the scan.
func TestScanResume(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 6; i++ {
		if i == 5 {
			b.WriteString("{\"question\": \"q5\"}\n") // no reply
			continue
		}
		fmt.Fprintf(&b, "{\"question\": \"q%d\", \"reply\": \"r%d\"}\n", i, i)
	}
	in := b.String()
	crash := errors.New("crash")
	var done []int
	lastDone := 0
	err := Scan(strings.NewReader(in), FormatJSONL, func(line int, item Resolved) error {
		if line > 3 {
			return crash
		}
		done = append(done, line)
		lastDone = line
		return nil
	})
	if !errors.Is(err, crash) || err.Error() != "line 4: crash" {
		t.Fatalf("first run: err = %v, want line 4: crash", err)
	}
	err = Scan(strings.NewReader(in), FormatJSONL, func(line int, item Resolved) error {
		if line <= lastDone {
			return nil
		}
		if item.Question != fmt.Sprintf("q%d", line) {
			t.Errorf("line %d: question %q", line, item.Question)
		}
		done = append(done, line)
		return nil
	})
	if diff := cmp.Diff([]string{"line 5: invalid resolved reply: empty reply"}, lineErrs(t, err)); diff != "" {
		t.Errorf("second run errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2, 3, 4, 6}, done); diff != "" {
		t.Errorf("lines delivered (-want +got):\n%s", diff)
	}
}

func TestScanCSVLines(t *testing.T) {
	in := "question,reply\nq1,\"two\nlines\"\nq3,r3\n"
	var lines []int
	if err := Scan(strings.NewReader(in), FormatCSV, func(line int, _ Resolved) error {
		lines = append(lines, line)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 4}, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// TestScanErrorCap checks that a file in the wrong format does not hold an
// error per line in memory.
func TestScanErrorCap(t *testing.T) {
	in := strings.Repeat("not json\n", maxLineErrors+5)
	err := Scan(strings.NewReader(in), FormatJSONL, func(int, Resolved) error { return nil })
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v", err)
	}
	if len(fe.Errors) != maxLineErrors || fe.Omitted != 5 {
		t.Errorf("%d errors, %d omitted; want %d, 5", len(fe.Errors), fe.Omitted, maxLineErrors)
	}
	if !strings.Contains(err.Error(), "1005 invalid line(s)") || !strings.HasSuffix(err.Error(), "… and 5 more") {
		t.Errorf("message does not count the omitted errors: ...%s", err.Error()[len(err.Error())-60:])
	}
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestScanReadError(t *testing.T) {
	for _, f := range []Format{FormatJSONL, FormatCSV} {
		err := Scan(failReader{}, f, func(int, Resolved) error { return nil })
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: err = %v, want the read error", f, err)
		}
	}
}

func FuzzReadResolvedJSONL(f *testing.F) {
	f.Add(`{"question": "q", "reply": "r", "csat": 3, "resolved_at": "2025-01-01", "ticket": 7}`)
	f.Add("{\"question\": \"\xff\"}\n\n[1]\n")
	f.Fuzz(func(t *testing.T, in string) {
		items, err := ReadResolved(strings.NewReader(in), FormatJSONL)
		checkRead(t, items, err)
	})
}

func FuzzReadResolvedCSV(f *testing.F) {
	f.Add("question,reply,csat\nq,r,3\n")
	f.Add("question,reply\n\"q\n,r\n")
	f.Fuzz(func(t *testing.T, in string) {
		items, err := ReadResolved(strings.NewReader(in), FormatCSV)
		checkRead(t, items, err)
	})
}

// checkRead: items and error exclude each other, and every item is valid.
func checkRead(t *testing.T, items []Resolved, err error) {
	t.Helper()
	if err != nil && items != nil {
		t.Fatalf("items and error together: %v", err)
	}
	for _, it := range items {
		if verr := it.Validate(); verr != nil {
			t.Fatalf("invalid item %+v returned: %v", it, verr)
		}
	}
}
