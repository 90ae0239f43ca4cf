package kernel

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// PCP is the page allocator's per-CPU list setting of one zone, as
// /proc/zoneinfo shows it under "pagesets": the high mark at which a CPU's
// list drains to the zone (pcp->high, the current value: the kernel tunes
// it between high_min and high_max) and the batch it refills and drains
// by (pcp->batch), in pages.
type PCP struct {
	Zone        string // e.g. "Normal"
	High, Batch int    // the mean over the zone's CPUs, rounded
}

// ReadPCP returns the per-CPU list setting of the zone anonymous pages
// come from: Normal where there is one (the highest zone a movable
// allocation may use on x86-64 without ZONE_MOVABLE), else the zone with
// the largest batch.
func ReadPCP() (PCP, error) {
	b, err := os.ReadFile("/proc/zoneinfo")
	if err != nil {
		return PCP{}, err
	}
	return ParseZoneinfo(bytes.NewReader(b))
}

// ParseZoneinfo reads the text of /proc/zoneinfo, as ReadPCP.
func ParseZoneinfo(r io.Reader) (PCP, error) {
	type acc struct{ high, batch, n int }
	zones := map[string]*acc{}
	var order []string
	var cur *acc
	var zone string
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Fields(s.Text())
		switch {
		case len(f) >= 4 && f[0] == "Node" && f[2] == "zone":
			zone = f[3]
			if zones[zone] == nil {
				zones[zone] = &acc{}
				order = append(order, zone)
			}
			cur = zones[zone]
		case cur == nil || len(f) != 2:
		case f[0] == "high:":
			if v, err := strconv.Atoi(f[1]); err == nil {
				cur.high += v
				cur.n++
			}
		case f[0] == "batch:":
			if v, err := strconv.Atoi(f[1]); err == nil {
				cur.batch += v
			}
		}
	}
	if err := s.Err(); err != nil {
		return PCP{}, err
	}
	best := ""
	for _, z := range order {
		a := zones[z]
		if a.n == 0 {
			continue
		}
		if z == "Normal" {
			best = z
			break
		}
		if best == "" || a.batch/a.n > zones[best].batch/zones[best].n {
			best = z
		}
	}
	if best == "" {
		return PCP{}, fmt.Errorf("/proc/zoneinfo: no zone with per-CPU pagesets")
	}
	a := zones[best]
	return PCP{Zone: best, High: (a.high + a.n/2) / a.n, Batch: (a.batch + a.n/2) / a.n}, nil
}

// LoadAvg returns the one-minute load average of /proc/loadavg.
func LoadAvg() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("/proc/loadavg: empty")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/loadavg: %w", err)
	}
	return v, nil
}
