package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU
// times (100 on Linux for every architecture Go runs on).
const clockTicks = 100

// processCPU is every running process's CPU time so far (user + system,
// itself only), by PID, with its program's name and its start time (which
// tells a reused PID from the same process).
type processCPU map[int]struct {
	name         string
	ticks, start int64
}

// snapshotCPU reads /proc/<pid>/stat of every process (nil off Linux).
func snapshotCPU() processCPU {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	snap := processCPU{}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // it ended
		}
		// pid (comm) state ppid ... utime stime: comm may hold spaces and
		// parentheses, so fields are counted from the last ')'
		s := string(b)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(s[:open]))
		if err != nil {
			continue
		}
		f := strings.Fields(s[closing+1:])
		if len(f) < 20 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		start, _ := strconv.ParseInt(f[19], 10, 64)
		name := s[open+1 : closing]
		if strings.HasPrefix(name, "kworker/") {
			name = "kworker (the kernel's)" // its name says its current work item
		}
		snap[pid] = struct {
			name         string
			ticks, start int64
		}{name, utime + stime, start}
	}
	return snap
}

// othersCPU is the CPU that processes other than the measured command and
// its children used between two snapshots, by program name: the control
// plane and what it runs (instances, HAProxy, PowerDNS, Prometheus...).
// A process that started after before counts from zero; one that ended
// before after is not seen (its CPU went to whoever reaped it).
func othersCPU(before, after processCPU, self int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for pid, a := range after {
		if pid == self {
			continue
		}
		d := a.ticks - before[pid].ticks
		if b, ok := before[pid]; ok && b.start != a.start {
			d = a.ticks // the PID was reused
		}
		if d > 0 {
			out[a.name] += time.Duration(d) * time.Second / clockTicks
		}
	}
	return out
}

// cpuLine says how a run's CPU was spent: the command's own (with the
// engine and plugins it ran), then the busiest other programs.
func cpuLine(m measurement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bulwark+engine+plugins %s", m.cpu.Round(10*time.Millisecond))
	names := make([]string, 0, len(m.others))
	var total time.Duration
	for n, d := range m.others {
		names = append(names, n)
		total += d
	}
	slices.SortFunc(names, func(a, c string) int { return int(m.others[c] - m.others[a]) })
	fmt.Fprintf(&b, "; others %s", total.Round(10*time.Millisecond))
	for i, n := range names {
		if i == 5 || m.others[n] < 50*time.Millisecond {
			break
		}
		fmt.Fprintf(&b, ", %s %s", n, m.others[n].Round(10*time.Millisecond))
	}
	return b.String()
}
