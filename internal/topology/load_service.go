package topology

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/hashicorp/hcl/v2"
)

func (d *decoder) service(b *hcl.Block, t *Topology) Service {
	s := Service{Name: b.Labels[0], DeclRange: b.DefRange}
	d.checkName("service", s.Name, b.LabelRanges[0])
	c := d.content(b.Body, serviceSchema)

	mode, rng := d.str(c.Attributes, "mode", "")
	switch Mode(mode) {
	case ActiveActive, HotStandby:
		s.Mode = Mode(mode)
	default:
		if rng != nil {
			d.errorf(rng, "Invalid mode", `mode must be "active-active" or "hot-standby", not %q.`, mode)
		}
	}
	var imgRange *hcl.Range
	s.Image, imgRange = d.str(c.Attributes, "image", "")
	if imgRange != nil && (!imageName.MatchString(s.Image) || len(s.Image) > MaxImageName) {
		d.errorf(imgRange, "Invalid image name", "image: names are 1-%d lower-case letters and digits, in words joined by one of . _ -, as a folder of images/ and an ECR repository name; not %q.", MaxImageName, clip(s.Image))
		imgRange = nil
	}
	if imgRange != nil && d.images != nil && !d.images.HasImage(s.Image) {
		d.errorf(imgRange, "Unknown image", "There is no image %q: expected a folder images/%s/.", s.Image, s.Image)
		imgRange = nil
	}
	runtime, rng := d.str(c.Attributes, "runtime", string(RuntimeVM))
	switch Runtime(runtime) {
	case RuntimeVM, RuntimeContainer:
		s.Runtime = Runtime(runtime)
	default:
		d.errorf(rng, "Invalid runtime", `runtime must be "vm" (a golden image on instances) or "container" (ECS on Fargate), not %q.`, runtime)
		s.Runtime = RuntimeVM
	}
	port, rng := d.integer(c.Attributes, "port", 0)
	if rng != nil && (port < 1 || port > 65535) {
		d.errorf(rng, "Invalid port", "port must be between 1 and 65535, not %d.", port)
	}
	if why, reserved := localReservedPorts[port]; rng != nil && reserved && t.Environment.Target == TargetLocal {
		d.errorf(rng, "Reserved port", "On the local target, port %d is left to %s; choose another port.", port, why)
	}
	s.Port = port

	if regions, rng := d.strList(c.Attributes, "regions"); rng != nil {
		s.Regions = d.regionRefs(t, regions, rng, "regions")
	} else {
		s.Regions = t.RegionNames()
	}
	if catalog, ok := d.images.(ManifestCatalog); ok && imgRange != nil && t.Environment.Target == TargetAWS {
		d.checkRelease(catalog, t.Environment.Name, s, imgRange)
	}
	s.Parameters = d.parameters(c.Attributes)
	s.SecretParameters = d.secretParameters(c.Attributes, s.Parameters)
	if s.Mode == HotStandby && len(s.Regions) < 2 && len(t.Regions) > 0 {
		d.errorf(c.Attributes["mode"].Range.Ptr(), "Hot standby needs two regions",
			"Service %q is hot-standby in %d region(s); a standby needs a region to fail over to.", s.Name, len(s.Regions))
	}

	blocks := map[string]*hcl.Block{}
	var onFailure []*hcl.Range // each dependency's on_failure, for checkQueuedWrites
	for _, nb := range c.Blocks {
		if nb.Type == "depends_on" {
			if dep, rng, ok := d.dependency(nb, s.Dependencies); ok {
				s.Dependencies = append(s.Dependencies, dep)
				onFailure = append(onFailure, rng)
			}
			continue
		}
		if prev, dup := blocks[nb.Type]; dup {
			d.errorf(nb.DefRange.Ptr(), "Duplicate block", "Only one %s block is allowed; the first is at %s.", nb.Type, prev.DefRange)
			continue
		}
		blocks[nb.Type] = nb
	}
	if cb := blocks["capacity"]; cb != nil {
		s.Capacity = d.capacity(cb)
	} else {
		d.errorf(b.DefRange.Ptr(), "Missing capacity block", "Service %q needs capacity { min = 2  desired = 2  max = 4 }.", s.Name)
	}
	if sb := blocks["scaling"]; sb != nil {
		sc := d.content(sb.Body, scalingSchema)
		s.Scaling.DeclRange = sb.DefRange
		var r1, r2 *hcl.Range
		s.Scaling.TargetCPU, r1 = d.integer(sc.Attributes, "target_cpu", 0)
		s.Scaling.TargetRequests, r2 = d.integer(sc.Attributes, "target_requests", 0)
		if r1 != nil && (s.Scaling.TargetCPU < 1 || s.Scaling.TargetCPU > 100) {
			d.errorf(r1, "Invalid scaling target", "target_cpu is a percentage between 1 and 100, not %d.", s.Scaling.TargetCPU)
		}
		if r2 != nil && s.Scaling.TargetRequests < 1 {
			d.errorf(r2, "Invalid scaling target", "target_requests must be at least 1, not %d.", s.Scaling.TargetRequests)
		}
		if r1 == nil && r2 == nil {
			d.errorf(sb.DefRange.Ptr(), "Empty scaling block", "scaling needs target_cpu or target_requests.")
		}
		var rc *hcl.Range
		if s.Scaling.Cooldown, rc = d.duration(sc.Attributes, "cooldown", DefaultCooldown); rc != nil && s.Scaling.Cooldown < time.Second {
			d.errorf(rc, "Invalid scaling cooldown", "cooldown must be at least 1s, not %s.", s.Scaling.Cooldown)
		}
	}
	s.Usage = t.Environment.Usage
	if ub := blocks["usage"]; ub != nil {
		s.Usage = d.usage(ub, s.Usage, UsageService)
	}
	s.Health = d.health(blocks["health"])
	if db := blocks["dns"]; db != nil {
		s.DNS = d.dns(db)
	} else {
		d.errorf(b.DefRange.Ptr(), "Missing dns block", `Service %q needs dns { zone = "example.test" } so clients can find its regions.`, s.Name)
	}
	if db := blocks["database"]; db != nil {
		s.Database = d.database(db, t)
	}
	if hb := blocks["https"]; hb != nil {
		s.HTTPS = d.https(hb, t, s)
	}
	if bb := blocks["backup"]; bb != nil {
		s.Backup = d.backup(bb, t)
	}
	s.Rollout = d.rollout(blocks["rollout"], s)
	if ob := blocks["slo"]; ob != nil {
		s.SLO = d.slo(ob)
	}
	// after the database and the health check, which they are checked
	// against
	if qb := blocks["write_queue"]; qb != nil {
		s.WriteQueue = d.writeQueue(qb, s)
	}
	if cb := blocks["cache"]; cb != nil {
		s.Cache = d.cache(cb, s)
	}
	d.checkQueuedWrites(s, onFailure)
	return s
}

var rolloutSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "strategy"}, {Name: "canary"}, {Name: "bake"}, {Name: "max_error_rate"}}}

// rollout reads how a new image or configuration reaches the regions.
func (d *decoder) rollout(b *hcl.Block, s Service) Rollout {
	r := Rollout{Strategy: RolloutRolling, MaxErrorRate: DefaultMaxErrorRate}
	if b == nil {
		return r
	}
	r.DeclRange = b.DefRange
	c := d.content(b.Body, rolloutSchema)
	strategy, rng := d.str(c.Attributes, "strategy", string(RolloutRolling))
	switch RolloutStrategy(strategy) {
	case RolloutRolling, RolloutCanary, RolloutBlueGreen:
		r.Strategy = RolloutStrategy(strategy)
	default:
		d.errorf(rng, "Invalid rollout strategy", `strategy must be "rolling" (every region at once, each group instance by instance), "canary" (one region first, then the rest) or "blue-green" (a second set of instances beside the serving one, switched at the load balancer), not %q.`, strategy)
	}
	var crng *hcl.Range
	r.Canary, crng = d.str(c.Attributes, "canary", "")
	r.Bake, _ = d.duration(c.Attributes, "bake", DefaultBake)
	if rate, rrng := d.str(c.Attributes, "max_error_rate", ""); rrng != nil {
		pct, err := strconv.ParseFloat(strings.TrimSuffix(rate, "%"), 64)
		if err != nil || !strings.HasSuffix(rate, "%") || pct < 0 || pct > 100 {
			d.errorf(rrng, "Invalid error rate", `max_error_rate is a percentage such as "1%%" or "0.5%%", not %q.`, rate)
		} else {
			r.MaxErrorRate = pct / 100
		}
	}
	if r.Strategy != RolloutCanary {
		if crng != nil {
			d.errorf(crng, "Canary without the canary strategy", `canary names the first region of strategy = "canary".`)
		}
		return r
	}
	if len(s.Regions) < 2 {
		d.errorf(b.DefRange.Ptr(), "Canary needs two regions", "Service %q runs in %d region(s); a canary region goes first, the others after it.", s.Name, len(s.Regions))
		return r
	}
	if r.Canary == "" {
		r.Canary = s.Regions[len(s.Regions)-1] // the last region: not the primary's, as a rule
	} else if !slices.Contains(s.Regions, r.Canary) {
		d.errorf(crng, "Unknown canary region", "Service %q runs in %v, not in %q.", s.Name, s.Regions, r.Canary)
	}
	return r
}

func (d *decoder) capacity(b *hcl.Block) Capacity {
	c := d.content(b.Body, capacitySchema)
	cp := Capacity{DeclRange: b.DefRange}
	var rMin, rDes, rMax *hcl.Range
	cp.Min, rMin = d.integer(c.Attributes, "min", 0)
	cp.Desired, rDes = d.integer(c.Attributes, "desired", 0)
	cp.Max, rMax = d.integer(c.Attributes, "max", 0)
	if rMin == nil || rDes == nil || rMax == nil {
		return cp
	}
	switch {
	case cp.Min < 0:
		d.errorf(rMin, "Invalid capacity", "min must not be negative, not %d.", cp.Min)
	case cp.Max < 1:
		d.errorf(rMax, "Invalid capacity", "max must be at least 1, not %d.", cp.Max)
	case cp.Min > cp.Desired:
		d.errorf(rMin, "Invalid capacity", "min (%d) is greater than desired (%d); need min <= desired <= max.", cp.Min, cp.Desired)
	case cp.Desired > cp.Max:
		d.errorf(rDes, "Invalid capacity", "desired (%d) is greater than max (%d); need min <= desired <= max.", cp.Desired, cp.Max)
	}
	return cp
}

func (d *decoder) health(b *hcl.Block) Health {
	h := Health{
		Path: DefaultHealthPath, Interval: DefaultHealthInterval, Timeout: DefaultHealthTimeout,
		UnhealthyAfter: DefaultUnhealthyAfter, HealthyAfter: DefaultHealthyAfter,
	}
	if b == nil {
		return h
	}
	h.DeclRange = b.DefRange
	c := d.content(b.Body, healthSchema)
	var rng *hcl.Range
	if h.Path, rng = d.str(c.Attributes, "path", DefaultHealthPath); contract.CheckHealthPath(h.Path) != nil {
		// it is written into HAProxy's and PowerDNS's configuration and
		// AWS's health checks: nothing may reach them but a plain path
		d.errorf(rng, "Invalid health check path", "%s.", contract.CheckHealthPath(h.Path))
	}
	var rInt, rTimeout *hcl.Range
	h.Interval, rInt = d.duration(c.Attributes, "interval", DefaultHealthInterval)
	h.Timeout, rTimeout = d.duration(c.Attributes, "timeout", min(DefaultHealthTimeout, h.Interval))
	if rInt != nil && h.Interval < 100*time.Millisecond {
		d.errorf(rInt, "Invalid health check interval", "interval must be at least 100ms, not %s.", h.Interval)
	}
	if h.Timeout > h.Interval && h.Interval > 0 {
		r := rTimeout
		if r == nil {
			r = rInt
		}
		d.errorf(r, "Invalid health check timeout", "timeout (%s) must not exceed interval (%s).", h.Timeout, h.Interval)
	}
	if h.UnhealthyAfter, rng = d.integer(c.Attributes, "unhealthy_after", DefaultUnhealthyAfter); h.UnhealthyAfter < 1 || h.UnhealthyAfter > 10 {
		d.errorf(rng, "Invalid health check threshold", "unhealthy_after must be between 1 and 10, not %d.", h.UnhealthyAfter)
	}
	if h.HealthyAfter, rng = d.integer(c.Attributes, "healthy_after", DefaultHealthyAfter); h.HealthyAfter < 1 || h.HealthyAfter > 10 {
		d.errorf(rng, "Invalid health check threshold", "healthy_after must be between 1 and 10, not %d.", h.HealthyAfter)
	}
	return h
}

// MaxImageName is the longest image name.
const MaxImageName = 64

// imageName is what an image may be called: it names a folder of images/,
// the local target's artifact and, on aws, an ECR repository (lower-case
// words joined by . _ or -, https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html)
// and a tag value on every AMI copy.
var imageName = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)

// checkRelease reports a service whose image cannot run in one of its
// regions: no copy of the AMI there (runtime "vm"), or no container image.
func (d *decoder) checkRelease(catalog ManifestCatalog, env string, s Service, rng *hcl.Range) {
	m, path, err := catalog.Manifest(s.Image)
	if err != nil {
		d.errorf(rng, "Unusable image manifest", "Image %q cannot be deployed to AWS: %v.", s.Image, err)
		return
	}
	if s.Runtime == RuntimeContainer {
		if _, err := m.ContainerImage(""); err != nil {
			d.errorf(rng, "Image has no container", "Service %q has runtime = \"container\", but %s (build %s) has no \"container\" entry: add the image pinned by digest (repo@sha256:...).", s.Name, path, m.Build)
		}
		return
	}
	var regions []string // those not already reported as no AWS region
	for _, r := range s.Regions {
		if awsRegionRE.MatchString(r) {
			regions = append(regions, r)
		}
	}
	for _, region := range m.Missing(regions) {
		d.errorf(rng, "Image not promoted to a region",
			"Service %q runs in %s, but %s (build %s) has no \"regions\" entry for %q (it has: %s). Copy the build there: bulwark images promote --env %s --image %s --ami %s --from %s.",
			s.Name, region, path, m.Build, region, strings.Join(m.RegionNames(), ", "), env, s.Image, m.SourceImage, m.SourceRegion)
	}
}
