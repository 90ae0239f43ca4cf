package kernel

import (
	"os"
	"strings"
	"testing"
)

// TestParseZoneinfo: the Normal zone's pagesets, averaged over the CPUs,
// from a real /proc/zoneinfo (two CPUs, DMA, DMA32 and Normal); the zone
// with the largest batch where there is no Normal; an error where no zone
// has pagesets.
func TestParseZoneinfo(t *testing.T) {
	real, err := os.ReadFile("testdata/zoneinfo.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		text    string
		want    PCP
		wantErr bool
	}{
		{"machine", string(real), PCP{Zone: "Normal", High: 8576, Batch: 63}, false},
		{"no normal", "Node 0, zone      DMA\n  pagesets\n    cpu: 0\n              count:    0\n              high:     0\n              batch:    1\nNode 0, zone    DMA32\n  pagesets\n    cpu: 0\n              high:     700\n              batch:    31\n    cpu: 1\n              high:     800\n              batch:    31\n", PCP{Zone: "DMA32", High: 750, Batch: 31}, false},
		{"none", "Node 0, zone      DMA\n  pages free     3840\n", PCP{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseZoneinfo(strings.NewReader(tt.text))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestLoadAvg: this machine's load average reads as a number of 0 or more.
func TestLoadAvg(t *testing.T) {
	l, err := LoadAvg()
	if err != nil {
		t.Skipf("no /proc/loadavg: %v", err)
	}
	if l < 0 {
		t.Errorf("load %v, want >= 0", l)
	}
}
