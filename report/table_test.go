package report

import (
	"bytes"
	"testing"
)

func TestWriteTable(t *testing.T) {
	rs := fixture()
	// A second repetition of one cell: the table shows the median.
	rs = append(rs, rs[1])
	rs[len(rs)-1].Elapsed *= 2
	var buf bytes.Buffer
	if err := WriteTable(&buf, rs); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "table.golden", buf.Bytes())
}
