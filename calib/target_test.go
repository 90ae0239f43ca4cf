package calib

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestBuiltinTargets(t *testing.T) {
	for _, name := range TargetNames() {
		tg, err := LoadTarget(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tg.Name != name || tg.CPUs < 1 || tg.Sockets < 1 || tg.ContendedRMW <= 0 {
			t.Errorf("%s: %+v", name, tg)
		}
	}
	if got := TargetNames(); !strings.Contains(strings.Join(got, ","), "xeon-16") {
		t.Errorf("TargetNames() = %v, want xeon-16 among them", got)
	}
}

func TestParseTargetErrors(t *testing.T) {
	f, err := builtinTargets.ReadFile("targets/xeon-16.txt")
	if err != nil {
		t.Fatal(err)
	}
	good := string(f)
	lines := strings.Split(good, "\n")
	lineOf := func(key string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, key+":") {
				return i
			}
		}
		t.Fatalf("no %s line", key)
		return 0
	}
	with := func(key, repl string) string {
		c := append([]string(nil), lines...)
		c[lineOf(key)] = repl
		return strings.Join(c, "\n")
	}
	without := func(keys ...string) string {
		var c []string
		for _, l := range lines {
			k, _, _ := strings.Cut(l, ":")
			if !strings.HasPrefix(l, "#") && slices.Contains(keys, k) {
				continue
			}
			c = append(c, l)
		}
		return strings.Join(c, "\n")
	}
	n := func(key string) string { return "t.txt:" + strconv.Itoa(lineOf(key)+1) }
	tests := []struct {
		name, in, want string
	}{
		{"good", good, ""},
		{"malformed cpus", with("cpus", "cpus: many"), n("cpus") + `: cpus "many": want a whole number, 1 or more`},
		{"malformed cost", with("rmw-ns", "rmw-ns: fast"), n("rmw-ns") + `: rmw-ns "fast": want a positive number of ns`},
		{"unknown key", with("sockets", "numa: 2"), n("sockets") + `: unknown key "numa"`},
		{"missing target key", without("remote-transfer-ns"), "t.txt: missing remote-transfer-ns"},
		{"missing both", without("pause-ns", "cpus"), "t.txt: missing pause-ns, cpus"},
		{"twice", good + "cpus: 4\n", "t.txt:" + strconv.Itoa(len(lines)) + ": cpus given twice"},
		{"sockets over cpus", with("sockets", "sockets: 32"), "sockets 32: more than cpus (16)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTarget(strings.NewReader(tt.in), "t.txt")
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ParseTarget: %v, want no error", err)
			case tt.want != "" && (err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ParseTarget: %v\nwant an ErrFormat containing %q", err, tt.want)
			}
		})
	}
	if _, err := LoadTarget("no-such-target"); !errors.Is(err, ErrUnknownTarget) || !strings.Contains(err.Error(), "xeon-16") {
		t.Errorf("LoadTarget(no-such-target) = %v, want ErrUnknownTarget listing xeon-16", err)
	}
}
