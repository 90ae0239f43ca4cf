package kernel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVMStat(t *testing.T) {
	tests := []struct {
		name string
		text string
		want VMALockStats
		ok   bool
	}{
		{
			name: "all four",
			text: "nr_free_pages 5783017\npgfault 123\nvma_lock_success 900\nvma_lock_abort 7\nvma_lock_retry 3\nvma_lock_miss 1\nswap_ra 0\n",
			want: VMALockStats{Success: 900, Abort: 7, Retry: 3, Miss: 1},
			ok:   true,
		},
		{
			name: "no trailing newline",
			text: "vma_lock_success 1\nvma_lock_abort 2\nvma_lock_retry 3\nvma_lock_miss 4",
			want: VMALockStats{1, 2, 3, 4},
			ok:   true,
		},
		{
			name: "not configured",
			text: "nr_free_pages 5783017\npgfault 123\nswap_ra 0\n",
		},
		{
			name: "one missing",
			text: "vma_lock_success 1\nvma_lock_abort 2\nvma_lock_retry 3\n",
			want: VMALockStats{1, 2, 3, 0},
		},
		{
			name: "unknown vma_lock_ counter and a bad value",
			text: "vma_lock_success 1\nvma_lock_abort x\nvma_lock_retry 3\nvma_lock_miss 4\nvma_lock_other 5\n",
			want: VMALockStats{Success: 1, Retry: 3, Miss: 4},
		},
		{name: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseVMStat([]byte(tt.text))
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseVMStat = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	text := []byte(tests[0].text)
	if n := testing.AllocsPerRun(10, func() { ParseVMStat(text) }); n != 0 {
		t.Errorf("ParseVMStat allocates %v times", n)
	}
}

// TestVMStat reads the counters from a file shaped as /proc/vmstat on a
// kernel with CONFIG_PER_VMA_LOCK_STATS, and refuses one without them.
func TestVMStat(t *testing.T) {
	dir := t.TempDir()
	with, without := filepath.Join(dir, "with"), filepath.Join(dir, "without")
	if err := os.WriteFile(with, []byte("pgfault 9\nvma_lock_success 10\nvma_lock_abort 2\nvma_lock_retry 1\nvma_lock_miss 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(without, []byte("pgfault 9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := openVMStat(with)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for range 2 { // each Read starts again at offset 0
		if got, err := v.Read(); err != nil || got != (VMALockStats{10, 2, 1, 0}) {
			t.Errorf("Read() = %+v, %v; want {10 2 1 0}", got, err)
		}
	}
	if _, err := openVMStat(without); !errors.Is(err, ErrNoVMALockStats) {
		t.Errorf("openVMStat without counters: %v, want ErrNoVMALockStats", err)
	}
}

func TestConfigValue(t *testing.T) {
	const config = "#\n# Automatically generated file; DO NOT EDIT.\nCONFIG_PER_VMA_LOCK_STATS=y\n" +
		"CONFIG_ARCH_SUPPORTS_PER_VMA_LOCK=y\n# CONFIG_PER_VMA_LOCK is not set\nCONFIG_NR_CPUS=64\n"
	tests := []struct{ name, want string }{
		{"CONFIG_PER_VMA_LOCK", ""}, // not set: no prefix match on the longer names
		{"CONFIG_PER_VMA_LOCK_STATS", "y"},
		{"CONFIG_NR_CPUS", "64"},
		{"CONFIG_ABSENT", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configValue(strings.NewReader(config), tt.name)
			if err != nil || got != tt.want {
				t.Errorf("configValue(%s) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
		})
	}
}

// TestHost logs what this host's kernel is, and checks that the facts agree
// with /proc/vmstat.
func TestHost(t *testing.T) {
	t.Logf("release %q, CONFIG_PER_VMA_LOCK %s, facts %v", Release(), PerVMALock(), Facts())
	if Release() == "" {
		t.Error("Release() is empty")
	}
	v, err := OpenVMStat()
	switch {
	case errors.Is(err, ErrNoVMALockStats):
		if HasVMALockStats() {
			t.Error("HasVMALockStats() = true, but /proc/vmstat has no vma_lock_* counters")
		}
	case err != nil:
		t.Fatal(err)
	default:
		defer v.Close()
		if !HasVMALockStats() {
			t.Error("HasVMALockStats() = false, but /proc/vmstat has the counters")
		}
		if n := testing.AllocsPerRun(10, func() { v.Read() }); n != 0 {
			t.Errorf("VMStat.Read allocates %v times", n)
		}
	}
	facts := Facts()
	if len(facts) != 3 || facts[0].Key != "per-vma-lock" || facts[1].Key != "vma-lock-stats" || facts[2].Key != "cpuidle" {
		t.Errorf("Facts() = %v, want per-vma-lock, vma-lock-stats and cpuidle", facts)
	}
	if idle := CPUIdle(); idle == "" || strings.ContainsAny(idle, " \n") {
		t.Errorf("CPUIdle() = %q, want one word", idle)
	}
}
