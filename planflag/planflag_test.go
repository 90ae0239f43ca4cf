package planflag

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"vmabench/runner"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		set     Set
		prefix  string
		args    []string
		wantErr string
		check   func(t *testing.T, p *runner.Plan)
	}{
		{name: "defaults: all strategies and workloads", set: All, check: func(t *testing.T, p *runner.Plan) {
			if len(p.Strategies) < 2 || len(p.Workloads) < 2 || !slices.Equal(p.Threads, runner.DefaultThreads()) {
				t.Errorf("plan %+v: want every strategy and workload, the default threads", p)
			}
		}},
		{name: "names and load", set: All, args: []string{"-strategy", "vmaseq", "-workload", "faults", "-threads", "2,1", "-pages", "8", "-nopin"},
			check: func(t *testing.T, p *runner.Plan) {
				if !slices.Equal(p.Strategies, []string{"vmaseq"}) || !slices.Equal(p.Threads, []int{1, 2}) || p.Base.Load.Pages != 8 || !p.Base.NoPin {
					t.Errorf("plan %+v", p)
				}
			}},
		{name: "timeout raised for a long window", set: Window, args: []string{"-duration", "20s"},
			check: func(t *testing.T, p *runner.Plan) {
				if want := 2 * (p.Base.Warmup + 20*time.Second); p.Base.Timeout != want {
					t.Errorf("timeout %v, want %v", p.Base.Timeout, want)
				}
			}},
		{name: "timeout as given", set: Window, args: []string{"-duration", "20s", "-timeout", "21s"},
			check: func(t *testing.T, p *runner.Plan) {
				if p.Base.Timeout != 21*time.Second {
					t.Errorf("timeout %v, want 21s", p.Base.Timeout)
				}
			}},
		{name: "prefix", set: Load, prefix: "vmabench.", args: []string{"-vmabench.pages", "16"},
			check: func(t *testing.T, p *runner.Plan) {
				if p.Base.Load.Pages != 16 {
					t.Errorf("pages %d, want 16", p.Base.Load.Pages)
				}
			}},
		{name: "size with a suffix", set: Load, args: []string{"-size", "2MiB"},
			check: func(t *testing.T, p *runner.Plan) {
				if p.Base.Load.Size != 2<<20 {
					t.Errorf("size %d, want 2 MiB", p.Base.Load.Size)
				}
			}},
		{name: "zero count", set: Count, args: []string{"-count", "0"}, wantErr: "count 0: want at least 1"},
		{name: "unknown strategy", set: Cells, args: []string{"-strategy", "nope"}, wantErr: `-strategy: unknown strategy "nope"`},
		{name: "all with names", set: Cells, args: []string{"-workload", "all,faults"}, wantErr: `-workload: "all,faults": "all" cannot be combined with names`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := runner.Plan{Base: runner.DefaultConfig(), Count: 1}
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			f := Bind(fs, &p, tt.set, tt.prefix)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := f.Apply()
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("Apply() = %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			default:
				tt.check(t, &p)
			}
		})
	}
}

// TestSets checks that each group binds its flags and no others.
func TestSets(t *testing.T) {
	bound := func(set Set) []string {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		Bind(fs, &runner.Plan{Base: runner.DefaultConfig()}, set, "")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		return names
	}
	if got := bound(Pin | InProcess); !slices.Equal(got, []string{"inprocess", "nopin"}) {
		t.Errorf("Pin|InProcess binds %v", got)
	}
	if got := len(bound(All)); got != 20 { // -strict with the cells
		t.Errorf("All binds %d flags, want 20", got)
	}
}

// TestOversubscribe: thread counts above the CPU count warn, saying what
// that does to a lock benchmark, and -strict refuses them.
func TestOversubscribe(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantWarn    bool
		wantErr     string
		wantWarnSub string
	}{
		{"within", []string{"-threads", "1,2"}, false, "", ""},
		{"above", []string{"-threads", "2,8"}, true, "", "-threads: 8 threads on 2 CPUs: the cells oversubscribe them (up to 4.0 threads a CPU)"},
		{"strict", []string{"-threads", "8", "-strict"}, false, "-threads: 8 threads on 2 CPUs", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := runner.Plan{Base: runner.DefaultConfig(), Count: 1}
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			f := Bind(fs, &p, Cells, "")
			f.cpus = 2
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := f.Apply()
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || !strings.HasSuffix(err.Error(), "(-strict)") {
					t.Fatalf("Apply() = %v, want %q ... (-strict)", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := f.Warnings()
			if (len(w) > 0) != tt.wantWarn {
				t.Fatalf("warnings %q, want some: %v", w, tt.wantWarn)
			}
			if tt.wantWarn && (!strings.HasPrefix(w[0], tt.wantWarnSub) || !strings.Contains(w[0], "a lock holder can be preempted")) {
				t.Errorf("warning %q, want %q and what it does to a lock", w[0], tt.wantWarnSub)
			}
		})
	}
}

func TestBenchWindow(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"1s", time.Second, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"100x", 0, "-test.benchtime 100x: a cell runs its threads for a timed window, not a count of iterations"},
		{"1x", 0, "-test.benchtime 1x: a cell runs"},
		{"0s", 0, "-test.benchtime 0s: want a positive duration"},
	}
	for _, tt := range tests {
		got, err := BenchWindow(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("BenchWindow(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("BenchWindow(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestLocksFlag: -locks takes auto, on or off, and names the valid values
// when given another.
func TestLocksFlag(t *testing.T) {
	for _, tc := range []struct {
		arg     string
		want    runner.Locks
		wantErr string
	}{
		{"off", runner.LocksOff, ""},
		{"on", runner.LocksOn, ""},
		{"auto", runner.LocksAuto, ""},
		{"maybe", "", `locks "maybe": want one of [auto on off]`},
	} {
		p := runner.Plan{Base: runner.DefaultConfig()}
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		Bind(fs, &p, Load, "")
		err := fs.Parse([]string{"-locks", tc.arg})
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("-locks %s: %v, want an error with %q", tc.arg, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("-locks %s: %v", tc.arg, err)
		case p.Base.Locks != tc.want:
			t.Errorf("-locks %s: %q, want %q", tc.arg, p.Base.Locks, tc.want)
		}
	}
}
