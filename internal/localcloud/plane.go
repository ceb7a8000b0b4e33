package localcloud

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// persisted is what survives a control plane restart.
type persisted struct {
	Regions    map[localapi.RegionID]localapi.Region           `json:"regions"`
	Images     map[localapi.ImageID]localapi.Image             `json:"images"`
	Groups     map[localapi.ServiceID]localapi.GroupSpec       `json:"groups"`
	Balancers  map[localapi.ServiceID]localapi.BalancerSpec    `json:"balancers"`
	DNSServers map[localapi.EnvID]localapi.DNSServerSpec       `json:"dns_servers"`
	DNSRecords map[localapi.RecordID]localapi.DNSRecordSpec    `json:"dns_records"`
	Databases  map[localapi.ServiceID]localapi.DatabaseSpec    `json:"databases"`
	Backups    map[localapi.BackupID]localapi.BackupSpec       `json:"backups"`
	Parameters map[localapi.ParameterID]localapi.ParameterSpec `json:"parameters"`
	Monitors   map[localapi.EnvID]localapi.MonitorSpec         `json:"monitors"`
	Queues     map[localapi.ServiceID]localapi.QueueSpec       `json:"queues"`
	Caches     map[localapi.ServiceID]localapi.CacheSpec       `json:"caches"`
	Links      map[localapi.ServiceID]localapi.LinkSpec        `json:"links"`
	// PIDs of running processes by name, for adoption after a crash.
	PIDs map[string]int `json:"pids"`
}

// Plane is the control plane's state and supervisors.
type Plane struct {
	dir string
	log *log.Logger

	mu    sync.Mutex
	state persisted
	// gen counts the changes of state; writer writes them (statefile.go)
	gen       uint64
	writer    *stateWriter
	groups    map[localapi.ServiceID]*groupRunner
	balancers map[localapi.ServiceID]*balancerRunner
	dns       map[localapi.EnvID]*dnsRunner
	databases map[localapi.ServiceID]*dbRunner
	backups   map[localapi.BackupID]*backupRunner
	monitors  map[localapi.EnvID]*monitorRunner
	copies    map[localapi.ServiceID]*copyRunner // restore copies: scratch, not persisted
	queues    map[localapi.ServiceID]*queueRunner
	caches    map[localapi.ServiceID]*cacheRunner
	links     map[localapi.ServiceID]*linkRunner
	// linkServers are the regions' toxiproxy-servers; linkMu serialises
	// the changes of links, which start and stop them.
	linkServers map[localapi.RegionID]*linkServer
	linkMu      sync.Mutex
	// degrade is what instances' queue and dependency keys are made of.
	degrade atomic.Pointer[degradeView]

	cgroups *cgroupTree // where processes start, by region (partition.go)
	builds  sync.Map    // one *sync.Mutex per image source being built
	// digests are the images' files hashed already, by path (imagecheck.go)
	digests sync.Map
}

// NewPlane loads the state in dir. Call Start to run what it holds.
func NewPlane(dir string, logger *log.Logger) (*Plane, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &Plane{dir: dir, log: logger, cgroups: newCgroupTree(dir), writer: newStateWriter(),
		groups: map[localapi.ServiceID]*groupRunner{}, balancers: map[localapi.ServiceID]*balancerRunner{},
		dns: map[localapi.EnvID]*dnsRunner{}, databases: map[localapi.ServiceID]*dbRunner{},
		backups: map[localapi.BackupID]*backupRunner{}, copies: map[localapi.ServiceID]*copyRunner{},
		monitors: map[localapi.EnvID]*monitorRunner{}, queues: map[localapi.ServiceID]*queueRunner{},
		caches: map[localapi.ServiceID]*cacheRunner{}, links: map[localapi.ServiceID]*linkRunner{},
		linkServers: map[localapi.RegionID]*linkServer{}}
	p.state = persisted{
		Regions: map[localapi.RegionID]localapi.Region{}, Images: map[localapi.ImageID]localapi.Image{},
		Groups: map[localapi.ServiceID]localapi.GroupSpec{}, Balancers: map[localapi.ServiceID]localapi.BalancerSpec{},
		DNSServers: map[localapi.EnvID]localapi.DNSServerSpec{}, DNSRecords: map[localapi.RecordID]localapi.DNSRecordSpec{},
		Databases: map[localapi.ServiceID]localapi.DatabaseSpec{}, Backups: map[localapi.BackupID]localapi.BackupSpec{},
		Parameters: map[localapi.ParameterID]localapi.ParameterSpec{}, Monitors: map[localapi.EnvID]localapi.MonitorSpec{},
		Queues: map[localapi.ServiceID]localapi.QueueSpec{}, Caches: map[localapi.ServiceID]localapi.CacheSpec{},
		Links: map[localapi.ServiceID]localapi.LinkSpec{}, PIDs: map[string]int{}}
	b, err := os.ReadFile(p.statePath())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &p.state); err != nil {
			return nil, fmt.Errorf("control plane state %s: %w", p.statePath(), err)
		}
	}
	// a state written before the degradation parts has none of their maps
	if p.state.Queues == nil {
		p.state.Queues = map[localapi.ServiceID]localapi.QueueSpec{}
	}
	if p.state.Caches == nil {
		p.state.Caches = map[localapi.ServiceID]localapi.CacheSpec{}
	}
	if p.state.Links == nil {
		p.state.Links = map[localapi.ServiceID]localapi.LinkSpec{}
	}
	p.degrade.Store(p.buildDegradeView())
	return p, nil
}

func (p *Plane) statePath() string { return filepath.Join(p.dir, "state.json") }

// setPID records (or, with pid 0, forgets) a process for adoption.
func (p *Plane) setPID(name string, pid int) {
	p.mu.Lock()
	if pid == 0 {
		delete(p.state.PIDs, name)
	} else {
		p.state.PIDs[name] = pid
	}
	gen := p.changed()
	p.mu.Unlock()
	if err := p.commit(gen); err != nil {
		p.log.Printf("save state: %v", err)
	}
}

func (p *Plane) recordedPID(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state.PIDs[name]
}

// Start runs everything the persisted state holds, databases first (their
// primaries before their replicas), adopting processes a previous control
// plane left running.
func (p *Plane) Start() {
	p.mu.Lock()
	for id, r := range p.state.Regions {
		if ok, err := claimRange(r.Index, p.dir, id.String()); !ok || err != nil {
			p.log.Printf("region %s: 127.0.%d.0/24 is claimed by %s (%v)", id, r.Index, describeClaim(r.Index), err)
		}
	}
	dbs := slices.Collect(maps.Values(p.state.Databases))
	groups := slices.Collect(maps.Values(p.state.Groups))
	balancers := slices.Collect(maps.Values(p.state.Balancers))
	servers := slices.Collect(maps.Values(p.state.DNSServers))
	monitors := slices.Collect(maps.Values(p.state.Monitors))
	queues := slices.Collect(maps.Values(p.state.Queues))
	caches := slices.Collect(maps.Values(p.state.Caches))
	links := slices.Collect(maps.Values(p.state.Links))
	p.mu.Unlock()
	p.healAll() // a crashed plane's partitions
	// members running as primaries (on disk) first, so replicas find them
	// (the newest timeline first: a former primary stays down, see newerPrimary)
	sort.SliceStable(dbs, func(i, j int) bool {
		if pi, pj := !p.standby(dbs[i]), !p.standby(dbs[j]); pi != pj {
			return pi
		}
		return p.timeline(dbs[i]) > p.timeline(dbs[j])
	})
	p.stopStrayCopies()
	for _, d := range dbs {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := p.PutDatabase(ctx, d); err != nil {
			p.log.Printf("restart database %s: %v", d.ID(), err)
		}
		cancel()
	}
	p.mu.Lock()
	for id, spec := range p.state.Backups {
		b := &backupRunner{p: p, spec: spec, quit: make(chan struct{}), done: make(chan struct{})}
		p.backups[id] = b
		go b.schedule()
	}
	p.mu.Unlock()
	// the queues and links before the instances that use them
	for _, q := range queues {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := p.PutQueue(ctx, q); err != nil {
			p.log.Printf("restart write queue %s: %v", q.ID(), err)
		}
		cancel()
	}
	for _, l := range links {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := p.PutLink(ctx, l); err != nil {
			p.log.Printf("restart link %s: %v", l.ID(), err)
		}
		cancel()
	}
	for _, g := range groups {
		if _, err := p.applyGroup(context.Background(), g, false); err != nil {
			p.log.Printf("restart group %s: %v", g.ID(), err)
		}
	}
	for _, b := range balancers {
		if _, err := p.applyBalancer(context.Background(), b, false); err != nil {
			p.log.Printf("restart balancer %s: %v", b.ID(), err)
		}
	}
	for _, c := range caches {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := p.PutCache(ctx, c); err != nil {
			p.log.Printf("restart cache %s: %v", c.ID(), err)
		}
		cancel()
	}
	for _, d := range servers {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := p.PutDNSServer(ctx, d); err != nil {
			p.log.Printf("restart dns %s: %v", d.Env, err)
		}
		cancel()
	}
	for _, m := range monitors {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := p.PutMonitor(ctx, m); err != nil {
			p.log.Printf("restart monitor %s: %v", m.Env, err)
		}
		cancel()
	}
}

// Shutdown stops every process the plane runs; the desired state stays on
// disk, so the next control plane starts them again.
func (p *Plane) Shutdown() {
	p.mu.Lock()
	groups, balancers, dns, dbs, backups := p.groups, p.balancers, p.dns, p.databases, p.backups
	p.groups, p.balancers, p.dns, p.databases = map[localapi.ServiceID]*groupRunner{}, map[localapi.ServiceID]*balancerRunner{}, map[localapi.EnvID]*dnsRunner{}, map[localapi.ServiceID]*dbRunner{}
	p.backups = map[localapi.BackupID]*backupRunner{}
	copies := p.copies
	p.copies = map[localapi.ServiceID]*copyRunner{}
	monitors := p.monitors
	p.monitors = map[localapi.EnvID]*monitorRunner{}
	queues, caches, linkServers := p.queues, p.caches, p.linkServers
	p.queues, p.caches = map[localapi.ServiceID]*queueRunner{}, map[localapi.ServiceID]*cacheRunner{}
	p.links, p.linkServers = map[localapi.ServiceID]*linkRunner{}, map[localapi.RegionID]*linkServer{}
	p.mu.Unlock()
	for _, m := range monitors {
		m.stop()
	}
	for _, b := range backups {
		b.stop()
	}
	for id, c := range copies {
		c.stop(10 * time.Second)
		p.setPID("restore-copy/"+id.String(), 0)
		p.removeDBDir(c.dir)
	}
	for _, d := range dns {
		d.stop(5 * time.Second)
	}
	var wg sync.WaitGroup
	defer func() {
		for _, q := range queues { // after the instances that use them
			wg.Add(1)
			go func(q *queueRunner) { defer wg.Done(); q.stop(10 * time.Second) }(q)
		}
		wg.Wait()
		for _, d := range dbs { // after the instances that use them
			d.stop(10 * time.Second)
		}
		p.healAll()
		p.cgroups.removeGroups()
	}()
	for _, g := range groups {
		wg.Add(1)
		go func(g *groupRunner) { defer wg.Done(); g.stop() }(g)
	}
	for _, b := range balancers {
		wg.Add(1)
		go func(b *balancerRunner) { defer wg.Done(); b.stop(5 * time.Second) }(b)
	}
	for _, c := range caches {
		wg.Add(1)
		go func(c *cacheRunner) { defer wg.Done(); c.stop(5 * time.Second) }(c)
	}
	for _, s := range linkServers {
		wg.Add(1)
		go func(s *linkServer) { defer wg.Done(); s.stop(5 * time.Second) }(s)
	}
	wg.Wait()
}

// PutRegion allocates (or returns) a region's loopback range.
func (p *Plane) PutRegion(_ context.Context, spec localapi.RegionSpec) (localapi.Region, error) {
	return p.allocateRegion(spec)
}

// allocateRegion allocates (or returns) a region's loopback range.
func (p *Plane) allocateRegion(spec localapi.RegionSpec) (localapi.Region, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.state.Regions[spec.ID()]; ok {
		return r, nil
	}
	used := map[int]bool{}
	for _, r := range p.state.Regions {
		used[r.Index] = true
	}
	for i := 1; i <= 254; i++ {
		if used[i] {
			continue
		}
		ok, err := claimRange(i, p.dir, spec.ID().String())
		if err != nil {
			return localapi.Region{}, fmt.Errorf("region %s: claim 127.0.%d.0/24: %w", spec.ID(), i, err)
		}
		if ok {
			r := localapi.Region{RegionSpec: spec, Index: i}
			p.state.Regions[spec.ID()] = r
			return r, p.save()
		}
	}
	return localapi.Region{}, fmt.Errorf("region %s: %w; destroy an environment, or remove stale claims in %s", spec.ID(), localapi.ErrNoAddresses, ClaimsDir())
}

// GetRegion returns an allocated region.
func (p *Plane) GetRegion(_ context.Context, id localapi.RegionID) (localapi.Region, error) {
	return p.regionOf(id)
}

// regionOf returns an allocated region.
func (p *Plane) regionOf(id localapi.RegionID) (localapi.Region, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.state.Regions[id]
	if !ok {
		return localapi.Region{}, fmt.Errorf("region %s: %w", id, localapi.ErrNotFound)
	}
	return r, nil
}

// DeleteRegion frees a region's range; its groups and balancers must be gone.
func (p *Plane) DeleteRegion(_ context.Context, id localapi.RegionID) error {
	return p.freeRegion(id)
}

// freeRegion frees a region's range; its groups and balancers must be gone.
func (p *Plane) freeRegion(id localapi.RegionID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, g := range p.state.Groups {
		if g.ID().RegionID() == id {
			return fmt.Errorf("region %s still has instance group %s", id, g.ID())
		}
	}
	for _, kind := range []struct {
		what string
		ids  []localapi.ServiceID
	}{{"write queue", slices.Collect(maps.Keys(p.state.Queues))}, {"cache", slices.Collect(maps.Keys(p.state.Caches))}, {"link", slices.Collect(maps.Keys(p.state.Links))}} {
		for _, sid := range kind.ids {
			if sid.RegionID() == id {
				return fmt.Errorf("region %s still has %s %s", id, kind.what, sid)
			}
		}
	}
	for env := range p.state.Monitors {
		if (localapi.RegionID{Env: string(env), Region: globalRegion}) == id {
			return fmt.Errorf("region %s still has the monitoring of %s", id, env)
		}
	}
	r, ok := p.state.Regions[id]
	delete(p.state.Regions, id)
	err := p.save()
	if ok {
		releaseRange(r.Index, p.dir)
	}
	return err
}

// BuildImage builds an image's Go program and stores it by its digest. An
// image with the same digest is built once; a stored one is never replaced.
// A source built before (the same name, folder and SourceDigest) is not
// built again, and concurrent builds of one source run once: a regional
// stack puts the same image for every service that runs it.
func (p *Plane) BuildImage(ctx context.Context, spec localapi.ImageSpec) (localapi.Image, error) {
	root, pkg, err := moduleOf(spec.Source)
	if err != nil {
		return localapi.Image{}, err
	}
	source, err := SourceDigest(spec.Source)
	if err != nil {
		return localapi.Image{}, fmt.Errorf("build image %s: %w", spec.Name, err)
	}
	build, _ := p.builds.LoadOrStore(spec.Name+"\x00"+spec.Source+"\x00"+source, &sync.Mutex{})
	build.(*sync.Mutex).Lock()
	defer build.(*sync.Mutex).Unlock()
	if img, ok := p.builtFrom(ctx, spec, source); ok {
		return img, nil
	}
	tmpDir, err := os.MkdirTemp(p.dir, "build-")
	if err != nil {
		return localapi.Image{}, err
	}
	defer os.RemoveAll(tmpDir)
	out := filepath.Join(tmpDir, spec.Name)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return localapi.Image{}, fmt.Errorf("build image %s from %s: %w\n%s", spec.Name, spec.Source, err, b)
	}
	sum, err := fileDigest(out)
	if err != nil {
		return localapi.Image{}, err
	}
	img := localapi.Image{ImageSpec: spec, Digest: "sha256:" + sum, SourceDigest: source}
	dir := filepath.Join(p.dir, "images", "sha256-"+sum)
	img.Path = filepath.Join(dir, spec.Name)
	if _, err := os.Stat(img.Path); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return localapi.Image{}, err
		}
		if err := os.Rename(out, img.Path); err != nil {
			return localapi.Image{}, err
		}
		if err := os.Chmod(img.Path, 0o555); err != nil {
			return localapi.Image{}, err
		}
		p.noteDigest(img.Path, sum)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state.Images[localapi.ImageID(img.Digest)] = img
	return img, p.save()
}

// builtFrom finds a stored image built from spec's source as it is now
// (source is its SourceDigest) whose file is intact.
func (p *Plane) builtFrom(ctx context.Context, spec localapi.ImageSpec, source string) (localapi.Image, bool) {
	p.mu.Lock()
	var found []localapi.ImageID
	for digest, img := range p.state.Images {
		if img.ImageSpec == spec && img.SourceDigest == source {
			found = append(found, digest)
		}
	}
	p.mu.Unlock()
	for _, digest := range found {
		if img, err := p.GetImage(ctx, digest); err == nil {
			return img, true
		}
	}
	return localapi.Image{}, false
}

// GetImage returns a stored image, checking its file still has its digest.
func (p *Plane) GetImage(_ context.Context, digest localapi.ImageID) (localapi.Image, error) {
	p.mu.Lock()
	img, ok := p.state.Images[digest]
	p.mu.Unlock()
	if !ok {
		return localapi.Image{}, fmt.Errorf("image %s: %w", digest, localapi.ErrNotFound)
	}
	sum, err := p.imageDigest(img.Path)
	if err != nil || "sha256:"+sum != string(digest) {
		return localapi.Image{}, fmt.Errorf("image %s: its file %s is gone or changed: %w", digest, img.Path, localapi.ErrNotFound)
	}
	return img, nil
}

// DeleteImage forgets an image and removes its file unless a group uses it.
func (p *Plane) DeleteImage(_ context.Context, digest localapi.ImageID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	img, ok := p.state.Images[digest]
	if !ok {
		return nil
	}
	for _, g := range p.state.Groups {
		if g.Digest == string(digest) {
			return nil // still running somewhere; kept
		}
	}
	delete(p.state.Images, digest)
	_ = os.RemoveAll(filepath.Dir(img.Path))
	return p.save()
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// moduleOf finds the Go module holding dir: its root and dir as a package path.
func moduleOf(dir string) (root, pkg string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			rel, _ := filepath.Rel(d, abs)
			return d, "./" + filepath.ToSlash(rel), nil
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("image source %s is not inside a Go module", dir)
		}
	}
}

// Status returns everything the plane holds, sorted by ID.
func (p *Plane) Status() localapi.Status {
	p.mu.Lock()
	st := localapi.Status{PID: os.Getpid(), Dir: p.dir,
		Regions: slices.Collect(maps.Values(p.state.Regions)), Images: slices.Collect(maps.Values(p.state.Images)),
		DNSRecords: slices.Collect(maps.Values(p.state.DNSRecords)), Parameters: slices.Collect(maps.Values(p.state.Parameters))}
	groups := slices.Collect(maps.Values(p.groups))
	balancers := slices.Collect(maps.Values(p.balancers))
	servers := slices.Collect(maps.Values(p.dns))
	dbs := slices.Collect(maps.Values(p.databases))
	backups := slices.Collect(maps.Values(p.backups))
	monitors := slices.Collect(maps.Values(p.monitors))
	queues := slices.Collect(maps.Values(p.queues))
	caches := slices.Collect(maps.Values(p.caches))
	links := slices.Collect(maps.Values(p.links))
	p.mu.Unlock()
	for _, q := range queues {
		st.Queues = append(st.Queues, q.status())
	}
	sort.Slice(st.Queues, func(i, j int) bool { return st.Queues[i].ID().String() < st.Queues[j].ID().String() })
	for _, c := range caches {
		st.Caches = append(st.Caches, c.status())
	}
	sort.Slice(st.Caches, func(i, j int) bool { return st.Caches[i].ID().String() < st.Caches[j].ID().String() })
	for _, l := range links {
		st.Links = append(st.Links, p.linkStatus(l))
	}
	sort.Slice(st.Links, func(i, j int) bool { return st.Links[i].ID().String() < st.Links[j].ID().String() })
	for _, m := range monitors {
		st.Monitors = append(st.Monitors, m.status())
	}
	sort.Slice(st.Monitors, func(i, j int) bool { return st.Monitors[i].Env < st.Monitors[j].Env })
	for _, b := range backups {
		st.Backups = append(st.Backups, b.status(context.Background()))
	}
	sort.Slice(st.Backups, func(i, j int) bool { return st.Backups[i].ID().String() < st.Backups[j].ID().String() })
	for _, d := range dbs {
		st.Databases = append(st.Databases, d.status(context.Background()))
	}
	sort.Slice(st.Databases, func(i, j int) bool { return st.Databases[i].ID().String() < st.Databases[j].ID().String() })
	for _, d := range servers {
		st.DNSServers = append(st.DNSServers, d.status())
	}
	sort.Slice(st.DNSServers, func(i, j int) bool { return st.DNSServers[i].Env < st.DNSServers[j].Env })
	sort.Slice(st.DNSRecords, func(i, j int) bool { return st.DNSRecords[i].ID().String() < st.DNSRecords[j].ID().String() })
	sort.Slice(st.Parameters, func(i, j int) bool { return st.Parameters[i].ID().String() < st.Parameters[j].ID().String() })
	for _, g := range groups {
		st.Groups = append(st.Groups, g.status())
	}
	for _, b := range balancers {
		st.Balancers = append(st.Balancers, b.status())
	}
	sort.Slice(st.Regions, func(i, j int) bool { return st.Regions[i].Index < st.Regions[j].Index })
	sort.Slice(st.Images, func(i, j int) bool { return st.Images[i].Digest < st.Images[j].Digest })
	sort.Slice(st.Groups, func(i, j int) bool { return st.Groups[i].ID().String() < st.Groups[j].ID().String() })
	sort.Slice(st.Balancers, func(i, j int) bool { return st.Balancers[i].ID().String() < st.Balancers[j].ID().String() })
	return st
}

// waitListening waits until addr takes TCP connections, failing at once,
// pointing at its log, when the process that is to listen exits.
func waitListening(ctx context.Context, what, addr string, running func() bool, log string) error {
	return waitFor(ctx, what, func() (bool, error) {
		if !running() {
			return false, fmt.Errorf("%s exited at start; see %s", what, log)
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return false, nil
		}
		c.Close()
		return true, nil
	})
}

// waitFor polls cond until it holds or ctx ends: after 10 ms at first,
// doubling to every 100 ms, so that what is ready at once (a balancer
// listens some 10 ms after its start) is not answered a whole period late,
// and what takes long is not polled more often than before.
func waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	pause := 10 * time.Millisecond
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w: %v", what, localapi.ErrNotReady, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// SourceDigest hashes an image's source folder and its module's go.mod and
// go.sum: it changes whenever a build of the image could.
//
// A folder outside any module is hashed alone (a plan needs no build; a
// build of it fails with its own error).
func SourceDigest(dir string) (string, error) {
	root, _, err := moduleOf(dir)
	if err != nil {
		root = ""
	}
	h := sha256.New()
	add := func(path, name string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
		return nil
	}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		return add(path, rel)
	})
	if err != nil {
		return "", err
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if root == "" {
			break
		}
		if err := add(filepath.Join(root, f), "module/"+f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
