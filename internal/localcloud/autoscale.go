package localcloud

import (
	"bufio"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// scaler is a group's autoscaling state.
type scaler struct {
	current   int       // capacity now
	changed   time.Time // last capacity change
	sampled   time.Time // last sample
	reqTotal  int64     // the load balancer's request count at the last sample
	cpuTicks  map[int]int64
	last      string // what it last did, and why
	hasSample bool
}

// samplePeriod is the least time between two autoscaling samples.
const samplePeriod = 2 * time.Second

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times.
const clockTicks = 100

// autoscale samples the group's load and moves its capacity toward the
// target, at most once per cooldown.
func (g *groupRunner) autoscale() {
	g.mu.Lock()
	spec := g.spec
	sc := spec.Scaling
	if sc.TargetRequests <= 0 && sc.TargetCPU <= 0 {
		g.mu.Unlock()
		return
	}
	now := time.Now()
	if now.Sub(g.scaler.sampled) < samplePeriod {
		g.mu.Unlock()
		return
	}
	elapsed := now.Sub(g.scaler.sampled).Seconds()
	first := !g.scaler.hasSample
	var pids []int
	for _, s := range g.slots {
		if s.proc.running() {
			pids = append(pids, s.proc.PID)
		}
	}
	current := g.scaler.current
	g.mu.Unlock()

	want, why := current, ""
	if sc.TargetRequests > 0 {
		total, err := g.p.balancerRequests(spec.ID())
		if err == nil {
			g.mu.Lock()
			prev := g.scaler.reqTotal
			g.scaler.reqTotal = total
			g.mu.Unlock()
			if !first && total >= prev {
				rate := float64(total-prev) / elapsed
				want = int(math.Ceil(rate / float64(sc.TargetRequests)))
				why = fmt.Sprintf("%.1f requests/s for a target of %d per instance", rate, sc.TargetRequests)
			}
		}
	}
	if sc.TargetCPU > 0 {
		ticks := map[int]int64{}
		var used float64
		for _, pid := range pids {
			t, err := cpuTicks(pid)
			if err != nil {
				continue
			}
			ticks[pid] = t
			g.mu.Lock()
			prev, ok := g.scaler.cpuTicks[pid]
			g.mu.Unlock()
			if ok && t >= prev {
				used += float64(t-prev) / clockTicks / elapsed * 100
			}
		}
		g.mu.Lock()
		g.scaler.cpuTicks = ticks
		g.mu.Unlock()
		if !first && len(pids) > 0 {
			avg := used / float64(len(pids))
			byCPU := int(math.Ceil(float64(current) * avg / float64(sc.TargetCPU)))
			if why == "" || byCPU > want {
				want, why = byCPU, fmt.Sprintf("%.0f%% CPU on average for a target of %d%%", avg, sc.TargetCPU)
			}
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.scaler.sampled, g.scaler.hasSample = now, true
	if why == "" {
		return
	}
	want = min(max(want, spec.Min, 1), spec.Max)
	cooldown := sc.Cooldown
	if cooldown <= 0 {
		cooldown = 30 * time.Second
	}
	if want == g.scaler.current || now.Sub(g.scaler.changed) < cooldown {
		return
	}
	g.scaler.last = fmt.Sprintf("%s: %d -> %d instances (%s)", now.Format(time.TimeOnly), g.scaler.current, want, why)
	g.p.log.Printf("group %s: scaling %s", spec.ID(), g.scaler.last)
	g.scaler.current, g.scaler.changed = want, now
}

// balancerRequests is the request count of the group's load balancer since
// it started (HAProxy's FRONTEND req_tot, from its admin socket).
func (p *Plane) balancerRequests(id localapi.ServiceID) (int64, error) {
	p.mu.Lock()
	spec, ok := p.state.Balancers[id]
	p.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("no load balancer %s", id)
	}
	conn, err := net.DialTimeout("unix", p.adminSocket(spec), time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("show stat\n")); err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(conn)
	var header []string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# ") {
			header = strings.Split(strings.TrimPrefix(line, "# "), ",")
			continue
		}
		fields := strings.Split(line, ",")
		if len(fields) < 2 || fields[1] != "FRONTEND" {
			continue
		}
		for i, name := range header {
			if name == "req_tot" && i < len(fields) {
				return strconv.ParseInt(fields[i], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("load balancer %s: no FRONTEND req_tot in its statistics", id)
}

// cpuTicks is a process's user and system time, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("pid %d: unreadable stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("pid %d: short stat", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime, nil
}
