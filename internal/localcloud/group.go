package localcloud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// groupRunner supervises one instance group.
type groupRunner struct {
	p      *Plane
	region localapi.Region

	mu       sync.Mutex
	spec     localapi.GroupSpec
	slots    []*slot
	replaced int
	// outPeak is the most instances out of service at once since the
	// monitoring last read it (noteOutOfService)
	outPeak int
	scaler  scaler
	// suspended groups neither start nor replace instances (a lost region).
	suspended bool
	// downZones are zones whose slots are neither started nor replaced (a lost zone).
	downZones map[int]bool
	// rollout is the last change of image or configuration; previous is
	// the spec it replaces, to roll back to; rolloutFailures counts new
	// instances that failed their health checks.
	rollout         *rollout
	previous        localapi.GroupSpec
	rolloutFailures int
	// green are a blue-green switch's new instances; bakeUntil is when the
	// drained previous ones stop (zero until traffic is switched).
	green     []*slot
	bakeUntil time.Time

	kick chan struct{}
	quit chan struct{}
	done chan struct{}
}

type slot struct {
	idx      int
	key      string // the rollout key of the spec its instance was started with
	proc     *process
	inst     localapi.Instance
	gen      int
	restarts []time.Time // recent starts, for crash-loop backoff
	startErr error       // why the last start failed, if it did
}

// rollout is a group's last rollout and the rollout key of the spec it
// rolls out (rolloutKey).
type rollout struct {
	localapi.Rollout
	key string
}

// zoneOf is the zone (1-based) slot idx of a group lives in: slots go round the zones.
func zoneOf(s localapi.GroupSpec, idx int) int { return idx%max(s.Zones, 1) + 1 }

func (p *Plane) slotName(spec localapi.GroupSpec, idx int) string {
	return fmt.Sprintf("group/%s/%d", spec.ID(), idx)
}

// PutGroup creates or updates an instance group and returns once every
// desired instance passes its health check.
func (p *Plane) PutGroup(ctx context.Context, spec localapi.GroupSpec) (localapi.Group, error) {
	return p.applyGroup(ctx, spec, true)
}

// applyGroup creates or updates an instance group; with wait it returns once
// every desired instance passes its health check.
func (p *Plane) applyGroup(ctx context.Context, spec localapi.GroupSpec, wait bool) (localapi.Group, error) {
	if err := validateGroup(spec); err != nil {
		return localapi.Group{}, err
	}
	region, err := p.GetRegion(ctx, spec.ID().RegionID())
	if err != nil {
		return localapi.Group{}, err
	}
	if _, err := p.GetImage(ctx, localapi.ImageID(spec.Digest)); err != nil {
		return localapi.Group{}, err
	}
	g, exists, err := register(p, p.groups, p.state.Groups, spec.ID(), spec, func() *groupRunner {
		g := &groupRunner{p: p, region: region, spec: spec, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
		g.scaler.current = spec.Desired
		return g
	})
	if err != nil {
		return localapi.Group{}, err
	}
	if exists {
		g.update(spec)
		g.mu.Lock()
		current := g.spec
		g.mu.Unlock()
		if current.SlotBase != spec.SlotBase {
			p.recordGroupSpec(current) // the plane's own part of the spec: which slot range serves
		}
	} else {
		g.adoptAll()
		go g.run()
	}
	if !wait {
		return g.status(), nil
	}
	err = waitFor(ctx, "instance group "+spec.ID().String(), func() (bool, error) {
		if err := g.startError(); err != nil {
			return false, fmt.Errorf("instance group %s: %w; free the address or choose another port in the environment", spec.ID(), err)
		}
		st, key := g.statusAndRolloutKey()
		if r := st.Rollout; r != nil && key == p.rolloutKey(spec) {
			switch r.State {
			case localapi.RolloutRolledBack:
				// answer once the group is whole again on the previous image
				for _, in := range st.Instances {
					if in.State != "healthy" || in.Digest != r.From {
						return false, nil
					}
				}
				if st.Healthy() < st.Current {
					return false, nil
				}
				return false, fmt.Errorf("instance group %s: %w: %s; the instances run %s again", spec.ID(), localapi.ErrRolledBack, r.Reason, ShortDigest(r.From))
			case localapi.RolloutRolling:
				return false, nil
			}
		}
		if st.Healthy() < st.Current {
			return false, nil
		}
		for _, in := range st.Instances {
			if in.State != "healthy" {
				return false, nil
			}
		}
		return true, nil
	})
	return g.status(), err
}

func validateGroup(s localapi.GroupSpec) error {
	switch {
	case s.Env == "" || s.Region == "" || s.Service == "":
		return fmt.Errorf("instance group: env, region and service are required")
	case s.Port < 1 || s.Port > 65535:
		return fmt.Errorf("instance group %s: port %d out of range", s.ID(), s.Port)
	case s.Min < 0 || s.Min > s.Desired || s.Desired > s.Max || s.Max > 150:
		return fmt.Errorf("instance group %s: need 0 <= min <= desired <= max <= 150 (got %d/%d/%d)", s.ID(), s.Min, s.Desired, s.Max)
	case s.Health.Interval <= 0 || s.Health.Timeout <= 0 || s.Health.UnhealthyAfter < 1:
		return fmt.Errorf("instance group %s: health check interval, timeout and unhealthy_after are required", s.ID())
	case s.BlueGreen && 2*s.Max > 150:
		return fmt.Errorf("instance group %s: blue-green needs room for twice max instances in the region's 150 addresses (max %d)", s.ID(), s.Max)
	}
	return nil
}

// GetGroup returns a group's status.
func (p *Plane) GetGroup(_ context.Context, id localapi.ServiceID) (localapi.Group, error) {
	g, err := lookup(p, p.groups, "instance group", id)
	if err != nil {
		return localapi.Group{}, err
	}
	return g.status(), nil
}

// DeleteGroup stops every instance and forgets the group.
func (p *Plane) DeleteGroup(_ context.Context, id localapi.ServiceID) error {
	g, _, ok, err := forget(p, p.groups, p.state.Groups, id)
	if ok {
		g.stop()
	}
	return err
}

// KillInstance kills one instance's process, as a failure would (for drills
// and tests); the group replaces it.
func (p *Plane) KillInstance(id localapi.ServiceID, slotIdx int) (int, error) {
	g, err := lookup(p, p.groups, "instance group", id)
	if err != nil {
		return 0, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if slotIdx < 0 || slotIdx >= len(g.slots) || !g.slots[slotIdx].proc.running() {
		return 0, fmt.Errorf("instance group %s slot %d: %w", id, slotIdx, localapi.ErrNotFound)
	}
	pid := g.slots[slotIdx].proc.PID
	return pid, syscall.Kill(pid, syscall.SIGKILL)
}

func (g *groupRunner) adoptAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.slots) < g.scaler.current {
		s := &slot{idx: g.spec.SlotBase + len(g.slots)}
		if pid := g.p.recordedPID(g.p.slotName(g.spec, s.idx)); pid != 0 {
			if proc, ok := adopt(pid, g.spec.ImagePath); ok {
				s.proc, s.key = proc, g.p.rolloutKey(g.spec)
				s.inst = g.instance(s, pid)
				s.inst.State, s.inst.Digest = "starting", g.spec.Digest
				g.p.log.Printf("group %s slot %d: adopted pid %d", g.spec.ID(), s.idx, pid)
				go g.watch(proc)
			}
		}
		g.slots = append(g.slots, s)
	}
}

// update applies a new spec: capacity changes add or remove slots; a new
// image, port or variables start a rollout (see reconcile).
func (g *groupRunner) update(spec localapi.GroupSpec) {
	g.mu.Lock()
	old := g.spec
	spec.SlotBase = old.SlotBase // which range serves is the plane's to say
	g.spec = spec
	if old.Desired != spec.Desired {
		g.scaler.current = spec.Desired // a declared capacity wins over the autoscaler's
	}
	g.scaler.current = min(max(g.scaler.current, spec.Min), spec.Max)
	if g.p.rolloutKey(old) != g.p.rolloutKey(spec) {
		g.previous, g.rolloutFailures = old, 0
		g.rollout = &rollout{Rollout: localapi.Rollout{From: old.Digest, To: spec.Digest, State: localapi.RolloutRolling, Started: time.Now()}, key: g.p.rolloutKey(spec)}
		g.green, g.bakeUntil = nil, time.Time{}
		g.p.log.Printf("group %s: rolling out %s (from %s), one instance at a time", spec.ID(), ShortDigest(spec.Digest), ShortDigest(old.Digest))
	}
	g.mu.Unlock()
	g.poke()
}

// maxRolloutFailures is how many new instances may fail their health
// checks before a rollout is rolled back.
const maxRolloutFailures = 2

// declaredKey identifies what an instance of s runs, as s declares it
// (rolloutKey adds what the plane derives): a change replaces instances.
func declaredKey(s localapi.GroupSpec) string {
	keys := slices.Sorted(maps.Keys(s.Vars))
	var vars []string
	for _, k := range keys {
		vars = append(vars, k+"="+s.Vars[k])
	}
	return fmt.Sprintf("%s|%d|%s|%s|%d|%t|%s", s.Digest, s.Port, strings.Join(vars, ","), strings.Join(s.DatabaseRegions, ","), s.DatabasePort,
		s.WriteQueue, contract.EncodeDependencies(s.Dependencies))
}

// ShortDigest is the first 12 hex digits of an image digest.
func ShortDigest(digest string) string {
	d := strings.TrimPrefix(digest, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

// rollBack returns the group to the spec before the rollout. Called with g.mu held.
func (g *groupRunner) rollBack(reason string) {
	bad := g.spec
	g.spec = g.previous
	g.rollout.State, g.rollout.Reason, g.rollout.Ended = localapi.RolloutRolledBack, reason, time.Now()
	g.p.log.Printf("group %s: rollout of %s rolled back to %s: %s", bad.ID(), ShortDigest(bad.Digest), ShortDigest(g.spec.Digest), reason)
	spec := g.spec
	go g.p.recordGroupSpec(spec) // the plane's lock is taken after the group's elsewhere
}

// startError is the first slot's failure to start for want of its address.
func (g *groupRunner) startError() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.slots {
		if s.startErr != nil && errors.Is(s.startErr, localapi.ErrPortInUse) {
			return s.startErr
		}
	}
	return nil
}

func (g *groupRunner) poke() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

func (g *groupRunner) stop() {
	close(g.quit)
	<-g.done
}

func (g *groupRunner) run() {
	defer close(g.done)
	client := &http.Client{}
	for {
		g.reconcile(client)
		g.mu.Lock()
		interval := g.spec.Health.Interval
		g.mu.Unlock()
		if g.awaitNextPass(client, interval) {
			g.stopAll()
			return
		}
	}
}

// startProbe is how often a new instance is probed until it first passes
// its health check: a group answers its put once every instance is
// healthy, so an instance that listens 50 ms after its start is not left
// waiting a whole health check interval (10 s by default) for it.
const startProbe = 100 * time.Millisecond

// awaitNextPass waits for the next pass of reconcile (the group's health
// check interval, or a kick) and meanwhile probes its starting instances
// every startProbe (probeStarting). It returns true when the group is to
// stop.
func (g *groupRunner) awaitNextPass(client *http.Client, interval time.Duration) bool {
	next := time.NewTimer(interval)
	defer next.Stop()
	for {
		var probe <-chan time.Time
		if g.anyStarting() {
			probe = time.After(startProbe)
		}
		select {
		case <-g.quit:
			return true
		case <-g.kick:
			return false
		case <-next.C:
			return false
		case <-probe:
			g.probeStarting(client)
		}
	}
}

// anyStarting reports whether a running instance of the group's serving
// slots has not passed a health check yet.
func (g *groupRunner) anyStarting() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.slots {
		if s.proc.running() && s.inst.State == "starting" {
			return true
		}
	}
	return false
}

// probeStarting health-checks the starting instances once and marks those
// that pass healthy. A failed probe counts nothing: failures are counted,
// and instances replaced, by reconcile's checks at the group's interval,
// as before, so a probe only makes a success seen sooner. Only the
// supervisor goroutine calls it, as it does start.
func (g *groupRunner) probeStarting(client *http.Client) {
	g.mu.Lock()
	health := g.spec.Health
	type probe struct {
		s    *slot
		proc *process
		addr string
	}
	var probes []probe
	for _, s := range g.slots {
		if s.proc.running() && s.inst.State == "starting" {
			probes = append(probes, probe{s, s.proc, s.inst.Address})
		}
	}
	g.mu.Unlock()
	for _, pr := range probes {
		if !healthy(client, pr.addr, health) {
			continue
		}
		g.mu.Lock()
		if pr.s.proc == pr.proc && pr.s.inst.State == "starting" {
			pr.s.inst.Failures, pr.s.inst.State = 0, "healthy"
		}
		g.mu.Unlock()
	}
}

// stopAll stops every instance of the group (a switch's new ones too) and
// forgets their PIDs.
func (g *groupRunner) stopAll() {
	g.mu.Lock()
	slots := append(g.slots, g.green...) // a switch's new instances stop too
	g.slots, g.green = nil, nil
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range slots {
		wg.Add(1)
		go func(s *slot) {
			defer wg.Done()
			if s.proc != nil {
				_ = s.proc.stop(5 * time.Second)
			}
			g.p.setPID(g.p.slotName(g.spec, s.idx), 0)
		}(s)
	}
	wg.Wait()
}

// reconcile brings the slots to the spec and checks every instance once.
func (g *groupRunner) reconcile(client *http.Client) {
	g.mu.Lock()
	g.noteOutOfService() // an instance that exited since the last pass
	suspended := g.suspended
	g.mu.Unlock()
	if suspended {
		return
	}
	g.autoscale()
	g.mu.Lock()
	current := g.spec
	g.mu.Unlock()
	if g.blueGreen(client, current) {
		return
	}
	g.mu.Lock()
	spec := g.spec
	want := g.scaler.current
	for len(g.slots) < want {
		g.slots = append(g.slots, &slot{idx: spec.SlotBase + len(g.slots)})
	}
	var removed []*slot
	if len(g.slots) > want {
		removed = g.slots[want:]
		g.slots = g.slots[:want]
	}
	slots := append([]*slot(nil), g.slots...)
	g.mu.Unlock()
	for _, s := range removed {
		if s.proc != nil {
			_ = s.proc.stop(5 * time.Second)
		}
		g.p.setPID(g.p.slotName(spec, s.idx), 0)
	}
	key := g.p.rolloutKey(spec)
	g.mu.Lock()
	// the next instance rolls only once every instance of the new spec is healthy
	newReady, anyOutdated := true, false
	for _, s := range slots {
		if s.proc.running() && s.key == key && s.inst.State != "healthy" {
			newReady = false
		}
		if s.proc.running() && s.key != key {
			anyOutdated = true
		}
	}
	if r := g.rollout; r != nil && r.State == localapi.RolloutRolling && r.key == key && !anyOutdated && newReady {
		r.State, r.Ended = localapi.RolloutDone, time.Now()
		g.p.log.Printf("group %s: rollout of %s done", spec.ID(), ShortDigest(spec.Digest))
	}
	g.mu.Unlock()
	rolled := false
	for _, s := range slots {
		g.mu.Lock()
		outdated := s.proc.running() && s.key != key
		zoneDown := g.downZones[zoneOf(spec, s.idx)]
		g.mu.Unlock()
		if zoneDown {
			continue
		}
		switch {
		case outdated && !rolled && newReady:
			// roll one instance per pass, so the others keep serving
			g.replace(s, spec, "image or configuration changed")
			rolled = true
		case outdated:
			g.check(client, s, spec)
		case !s.proc.running():
			if s.proc != nil {
				g.mu.Lock()
				g.replaced++
				g.mu.Unlock()
				g.p.log.Printf("group %s slot %d: instance exited; replacing", spec.ID(), s.idx)
			}
			g.start(s, spec)
		default:
			g.check(client, s, spec)
		}
	}
	g.mu.Lock()
	g.noteOutOfService()
	g.mu.Unlock()
}

// healthy runs one health check of an instance: a 2xx or 3xx answer within the timeout.
func healthy(client *http.Client, address string, h localapi.HealthCheck) bool {
	ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+address+h.Path, nil)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

func (g *groupRunner) check(client *http.Client, s *slot, spec localapi.GroupSpec) {
	ok := healthy(client, s.inst.Address, spec.Health)
	g.mu.Lock()
	if ok {
		s.inst.Failures = 0
		s.inst.State = "healthy"
		g.mu.Unlock()
		return
	}
	s.inst.Failures++
	failed := s.inst.Failures >= spec.Health.UnhealthyAfter
	if s.inst.State == "healthy" {
		s.inst.State = "unhealthy"
	}
	grace := 30 * time.Second
	rolling := g.rollout != nil && g.rollout.State == localapi.RolloutRolling && s.key == g.rollout.key
	if rolling {
		// a new instance gets the time its checks need, not the start-up allowance
		grace = time.Duration(spec.Health.UnhealthyAfter+1)*spec.Health.Interval + 5*time.Second
	}
	starting := s.inst.State == "starting" && time.Since(s.inst.Started) < grace
	if failed && !starting && rolling {
		g.rolloutFailures++
		if g.rolloutFailures >= maxRolloutFailures {
			g.rollBack(fmt.Sprintf("%d new instances failed %d health checks (%s)", g.rolloutFailures, spec.Health.UnhealthyAfter, spec.Health.Path))
			spec = g.spec
		}
	}
	g.mu.Unlock()
	if failed && !starting {
		g.mu.Lock()
		g.replaced++
		g.mu.Unlock()
		g.replace(s, spec, fmt.Sprintf("failed %d health checks", spec.Health.UnhealthyAfter))
	}
}

func (g *groupRunner) replace(s *slot, spec localapi.GroupSpec, why string) {
	g.p.log.Printf("group %s slot %d: replacing instance (%s)", spec.ID(), s.idx, why)
	if s.proc != nil {
		_ = s.proc.stop(5 * time.Second)
	}
	g.start(s, spec)
}

func (g *groupRunner) instance(s *slot, pid int) localapi.Instance {
	spec := g.spec
	addr := g.region.SlotAddress(s.idx)
	return localapi.Instance{
		Slot: s.idx, Zone: zoneOf(spec, s.idx), Address: net.JoinHostPort(addr, strconv.Itoa(spec.Port)),
		PID: pid, Name: fmt.Sprintf("%s-%s-%d-%d", spec.Region, spec.Service, s.idx, s.gen), State: "starting", Started: time.Now(),
	}
}

// start launches the slot's instance, backing off when it keeps crashing.
// Only the supervisor goroutine calls it; what status reads changes under g.mu.
func (g *groupRunner) start(s *slot, spec localapi.GroupSpec) {
	g.mu.Lock()
	now := time.Now()
	recent := s.restarts[:0]
	for _, t := range s.restarts {
		if now.Sub(t) < 30*time.Second {
			recent = append(recent, t)
		}
	}
	s.restarts = recent
	if n := len(recent); n >= 3 && now.Sub(recent[n-1]) < time.Duration(min(n, 10))*time.Second {
		g.mu.Unlock()
		return // crash loop: wait before trying again
	}
	s.restarts = append(s.restarts, now)
	s.gen++
	inst := g.instance(s, 0)
	region := g.region
	g.mu.Unlock()

	fail := func(err error) {
		g.p.log.Printf("group %s slot %d: %v", spec.ID(), s.idx, err)
		g.mu.Lock()
		s.inst = inst
		s.inst.State = "stopped"
		s.inst.Error = err.Error()
		s.startErr = err
		g.mu.Unlock()
	}
	host, port, _ := net.SplitHostPort(inst.Address)
	if err := portFree(host, port); err != nil {
		if who := describeClaim(region.Index); who != "" && !strings.Contains(who, g.p.dir) {
			err = fmt.Errorf("%w (127.0.%d.0/24 is claimed by %s)", err, region.Index, who)
		}
		fail(err)
		return
	}
	cmd := exec.Command(spec.ImagePath)
	// the service's parameters as they are in the region's store now, then
	// the runtime contract (topology keeps their names apart)
	cmd.Env = append(g.p.parameterEnv(spec.Env, spec.Region, spec.Service), "PATH=/usr/local/bin:/usr/bin:/bin",
		contract.Environment+"="+spec.Env, contract.Service+"="+spec.Service, contract.Region+"="+spec.Region,
		contract.Listen+"="+inst.Address, contract.Instance+"="+inst.Name)
	for k, v := range spec.Vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// the write queue's and the dependencies' keys, read with the rollout
	// key they are part of
	view := g.p.degrade.Load() // one view: the key recorded is the environment given
	key := rolloutKeyWith(spec, view)
	cmd.Env = append(cmd.Env, view.env(spec)...)
	if len(spec.DatabaseRegions) > 0 {
		// the instance's own region's member first: after a failover to it,
		// a new connection does not wait on a member it cannot reach
		regions := slices.DeleteFunc(slices.Clone(spec.DatabaseRegions), func(r string) bool { return r == spec.Region })
		if len(regions) < len(spec.DatabaseRegions) {
			regions = append([]string{spec.Region}, regions...)
		}
		db, err := g.p.DatabaseRuntime(spec.Env, spec.Service, spec.DatabasePort, regions, spec.Region)
		if err != nil {
			fail(fmt.Errorf("database: %w", err))
			return
		}
		for _, k := range slices.Sorted(maps.Keys(db)) {
			cmd.Env = append(cmd.Env, k+"="+db[k])
		}
	}
	logDir := filepath.Join(g.p.dir, "logs", spec.Env, spec.Region)
	_ = os.MkdirAll(logDir, 0o700)
	proc, err := spawn(cmd, filepath.Join(logDir, fmt.Sprintf("%s-%d.log", spec.Service, s.idx)), g.p.placement(spec.Env, spec.Region))
	if err != nil {
		fail(err)
		return
	}
	inst.PID, inst.Digest = proc.PID, spec.Digest
	g.mu.Lock()
	s.proc, s.inst, s.startErr, s.key = proc, inst, nil, key
	g.mu.Unlock()
	g.p.setPID(g.p.slotName(spec, s.idx), proc.PID)
	go g.watch(proc)
}

// watch wakes the supervisor as soon as a process exits.
func (g *groupRunner) watch(proc *process) {
	select {
	case <-proc.exited:
		g.poke()
	case <-g.quit:
	}
}

// noteOutOfService raises the peak of instances out of service since the
// monitoring last read it; callers hold g.mu.
func (g *groupRunner) noteOutOfService() {
	healthy := 0
	for _, s := range g.slots {
		if s.proc.running() && s.inst.State == "healthy" {
			healthy++
		}
	}
	g.outPeak = max(g.outPeak, g.scaler.current-healthy)
}

// takeOutOfServicePeak returns the most instances out of service at once
// since the previous call (at least those out now), and starts a new period.
func (g *groupRunner) takeOutOfServicePeak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.noteOutOfService()
	peak := g.outPeak
	g.outPeak = 0
	return peak
}

func (g *groupRunner) status() localapi.Group {
	st, _ := g.statusAndRolloutKey()
	return st
}

// statusAndRolloutKey is the group's status and the rollout key of its last
// rollout ("" for none), read at once.
func (g *groupRunner) statusAndRolloutKey() (localapi.Group, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := ""
	if g.rollout != nil {
		key = g.rollout.key
	}
	st := localapi.Group{GroupSpec: g.spec, Replaced: g.replaced, Current: g.scaler.current, LastScaling: g.scaler.last}
	if g.rollout != nil {
		r := g.rollout.Rollout
		st.Rollout = &r
	}
	for _, s := range g.green {
		if s.inst.Address != "" {
			st.Instances = append(st.Instances, s.inst)
		}
	}
	for _, s := range g.slots {
		in := s.inst
		if in.Address == "" {
			in = g.instance(s, 0)
			in.State = "stopped"
		}
		if !s.proc.running() {
			in.State = "stopped"
		}
		st.Instances = append(st.Instances, in)
	}
	return st, key
}

// portFree checks that host:port can be bound (nothing else holds it).
func portFree(host, port string) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("%w: %s:%s: %v", localapi.ErrPortInUse, host, port, err)
	}
	return l.Close()
}

// recordGroupSpec replaces a group's desired spec on disk (a rollback).
func (p *Plane) recordGroupSpec(spec localapi.GroupSpec) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.state.Groups[spec.ID()]; !ok {
		return
	}
	p.state.Groups[spec.ID()] = spec
	if err := p.save(); err != nil {
		p.log.Printf("group %s: record the rolled-back spec: %v", spec.ID(), err)
	}
}
