package topology

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
)

// ErrInvalid is wrapped by every error the loader returns for a file that
// does not decode or validate; errors.As to *DiagnosticsError gets the details.
var ErrInvalid = errors.New("invalid environment")

// DiagnosticsError carries the diagnostics of a file that failed to load,
// with the sources needed to print them with snippets.
type DiagnosticsError struct {
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
}

func (e *DiagnosticsError) Error() string {
	return fmt.Sprintf("%v: %s", ErrInvalid, e.Diags.Error())
}

func (e *DiagnosticsError) Unwrap() error { return ErrInvalid }

// WriteText writes the diagnostics as hcl's text writer does: file:line:col,
// the summary, the detail and a source snippet.
func (e *DiagnosticsError) WriteText(w io.Writer, width uint, color bool) error {
	return hcl.NewDiagnosticTextWriter(w, e.Files, width, color).WriteDiagnostics(e.Diags)
}

// ImageCatalog answers whether an image of that name exists (images/<name>/).
type ImageCatalog interface {
	HasImage(name string) bool
}

// ImageDir is an ImageCatalog over a directory holding one folder per image.
type ImageDir string

// HasImage reports whether <dir>/<name> is a directory.
func (d ImageDir) HasImage(name string) bool {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return false
	}
	fi, err := os.Stat(filepath.Join(string(d), name))
	return err == nil && fi.IsDir()
}

// ManifestCatalog is an ImageCatalog that also holds each image's manifest:
// which build was promoted to which region. On the aws target the loader
// checks that every service's image can run in each of its regions.
type ManifestCatalog interface {
	ImageCatalog
	// Manifest loads an image's manifest; path names its file for diagnostics.
	Manifest(name string) (m *imagemanifest.Manifest, path string, err error)
}

// Manifest loads <dir>/<name>/manifest.json.
func (d ImageDir) Manifest(name string) (*imagemanifest.Manifest, string, error) {
	m, err := imagemanifest.Load(string(d), name)
	return m, imagemanifest.Path(string(d), name), err
}

// Loader parses and validates environment files.
type Loader struct {
	// Images, when set, is checked for every service's image.
	Images ImageCatalog
	// Root is the project root, which layer sources are relative to
	// (default: the parent of the environment file's folder).
	Root   string
	parser *hclparse.Parser
}

// Files are the sources the loader has parsed, for diagnostic snippets.
func (l *Loader) Files() map[string]*hcl.File {
	if l.parser == nil {
		return nil
	}
	return l.parser.Files()
}

// LoadFile reads, decodes and validates one environment file.
func (l *Loader) LoadFile(path string) (*Topology, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read environment: %w", err)
	}
	return l.Load(path, src)
}

// Load decodes and validates an environment from source text; filename is
// used in diagnostics.
func (l *Loader) Load(filename string, src []byte) (*Topology, error) {
	if l.parser == nil {
		l.parser = hclparse.NewParser()
	}
	file, diags := l.parser.ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, &DiagnosticsError{Diags: diags, Files: l.parser.Files()}
	}
	d := &decoder{images: l.Images, root: layerRoot(l.Root, filename)}
	topo := d.decodeFile(file.Body)
	topo.File = filename
	diags = append(diags, d.diags...)
	if diags.HasErrors() {
		return nil, &DiagnosticsError{Diags: diags, Files: l.parser.Files()}
	}
	return topo, nil
}

var (
	fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "environment", LabelNames: []string{"name"}},
		{Type: "region", LabelNames: []string{"name"}},
		{Type: "service", LabelNames: []string{"name"}},
		{Type: "policy", LabelNames: []string{"id"}},
		{Type: "layer", LabelNames: []string{"name"}},
	}}
	environmentSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "target", Required: true}, {Name: "state"}, {Name: "secrets"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "targets"}},
	}
	targetsSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: string(DisruptionInstance)}, {Type: string(DisruptionZone)},
		{Type: string(DisruptionRegion)}, {Type: string(DisruptionDatabase)},
	}}
	objectiveSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "rto", Required: true}, {Name: "rpo", Required: true}}}
	regionSchema    = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "primary"}, {Name: "zones"}, {Name: "nat"}}}
	serviceSchema   = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "mode", Required: true}, {Name: "image", Required: true}, {Name: "port", Required: true}, {Name: "regions"}, {Name: "runtime"}, {Name: "parameters"}},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "capacity"}, {Type: "scaling"}, {Type: "health"}, {Type: "dns"}, {Type: "database"}, {Type: "backup"}, {Type: "https"}, {Type: "rollout"}, {Type: "slo"},
		},
	}
	capacitySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "min", Required: true}, {Name: "desired", Required: true}, {Name: "max", Required: true}}}
	scalingSchema  = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "target_cpu"}, {Name: "target_requests"}, {Name: "cooldown"}}}
	healthSchema   = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "path"}, {Name: "interval"}, {Name: "timeout"}, {Name: "unhealthy_after"}, {Name: "healthy_after"},
	}}
	dnsSchema      = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "zone", Required: true}, {Name: "name"}, {Name: "ttl"}}}
	databaseSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "engine", Required: true}, {Name: "replication"}, {Name: "deletion_protection"}}}
	httpsSchema    = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "certificates"}}}
	backupSchema   = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "every", Required: true}, {Name: "keep", Required: true}, {Name: "copy_to"}, {Name: "restore_tests"}}}
)

var (
	// nameRE is a name that fits in a stack name, a DNS label and a file name.
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}[a-z0-9]?$`)
	// awsRegionRE matches AWS region codes such as us-east-1 or us-gov-west-1.
	awsRegionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	// dnsZoneRE is a DNS zone name without the trailing dot.
	dnsZoneRE  = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	dnsLabelRE = regexp.MustCompile(`^(@|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$`)
	stateRE    = regexp.MustCompile(`^(file|s3|gs|azblob|https?)://`)
	// acmARN is an ACM certificate's ARN; the group is its region.
	acmARN    = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[A-Za-z0-9-]+$`)
	secretsRE = regexp.MustCompile(`^(passphrase|(awskms|gcpkms|azurekeyvault|hashivault)://.+)$`)
)

// Defaults applied where a file is silent; environments/README.md lists them.
const (
	DefaultZones          = 3
	DefaultHealthPath     = "/healthz"
	DefaultHealthInterval = 10 * time.Second
	DefaultHealthTimeout  = 2 * time.Second // or the interval, when shorter
	DefaultUnhealthyAfter = 3
	DefaultHealthyAfter   = 2
	DefaultDNSTTL         = 60 * time.Second
	DefaultDNSName        = "@"
	DefaultReplication    = Asynchronous
	DefaultCooldown       = 30 * time.Second
)

// localReservedPorts are ports a local service may not take: those of stock
// Debian services, and the local target's own DNS port. (A service's
// database listens at the service's own port, on another address.)
var localReservedPorts = map[int]string{
	53: "DNS resolvers", 80: "web servers", 443: "web servers", 5432: "a stock PostgreSQL cluster",
	10053: "the environment's DNS server",
}

// reservedRegionNames cannot name a region: they name other stacks.
var reservedRegionNames = map[string]bool{"global": true}

type decoder struct {
	images ImageCatalog
	root   string // layer sources are relative to it
	diags  hcl.Diagnostics
}

func (d *decoder) errorf(rng *hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng,
	})
}

func (d *decoder) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(schema)
	d.diags = append(d.diags, diags...)
	return c
}

func (d *decoder) decodeFile(body hcl.Body) *Topology {
	topo := &Topology{}
	c := d.content(body, fileSchema)
	var envBlocks []*hcl.Block
	regionSeen := map[string]*hcl.Range{}
	serviceSeen := map[string]*hcl.Range{}
	var serviceBlocks []*hcl.Block
	for _, b := range c.Blocks {
		switch b.Type {
		case "environment":
			envBlocks = append(envBlocks, b)
		case "region":
			r := d.region(b)
			if prev, dup := regionSeen[r.Name]; dup {
				d.errorf(&b.LabelRanges[0], "Duplicate region", "Region %q is already declared at %s.", r.Name, prev)
				continue
			}
			regionSeen[r.Name] = b.LabelRanges[0].Ptr()
			topo.Regions = append(topo.Regions, r)
		case "service":
			serviceBlocks = append(serviceBlocks, b)
		case "policy":
			if pc, ok := d.policy(b, topo); ok {
				topo.Policies = append(topo.Policies, pc)
			}
		case "layer":
			l := d.layer(b, d.root)
			if i := slices.IndexFunc(topo.Layers, func(o Layer) bool { return o.Name == l.Name }); i >= 0 || l.Name == Stacks {
				d.errorf(&b.LabelRanges[0], "Duplicate layer", "Layer %q is already declared (or is the reserved name \"stacks\").", l.Name)
				continue
			}
			topo.Layers = append(topo.Layers, l)
		}
	}
	switch len(envBlocks) {
	case 0:
		d.errorf(&hcl.Range{Filename: body.MissingItemRange().Filename, Start: hcl.InitialPos, End: hcl.InitialPos},
			"Missing environment block", `An environment file needs one environment "<name>" { target = "local" } block.`)
	default:
		for _, b := range envBlocks[1:] {
			d.errorf(b.DefRange.Ptr(), "Duplicate environment block", "Only one environment block is allowed; the first is at %s.", envBlocks[0].DefRange)
		}
		fallthrough
	case 1:
		topo.Environment = d.environment(envBlocks[0])
	}
	d.checkRegions(topo, c.MissingItemRange)
	d.checkLayers(topo)
	for _, b := range serviceBlocks {
		s := d.service(b, topo)
		if prev, dup := serviceSeen[s.Name]; dup {
			d.errorf(&b.LabelRanges[0], "Duplicate service", "Service %q is already declared at %s.", s.Name, prev)
			continue
		}
		serviceSeen[s.Name] = b.LabelRanges[0].Ptr()
		topo.Services = append(topo.Services, s)
	}
	return topo
}

// policy reads a policy block: enforcement, and the rest as parameters.
func (d *decoder) policy(b *hcl.Block, t *Topology) (PolicyConfig, bool) {
	pc := PolicyConfig{ID: b.Labels[0], Params: map[string]PolicyParam{}, DeclRange: b.DefRange}
	for _, prev := range t.Policies {
		if prev.ID == pc.ID {
			d.errorf(b.LabelRanges[0].Ptr(), "Duplicate policy", "Policy %q is already configured at %s.", pc.ID, prev.DeclRange)
			return pc, false
		}
	}
	attrs, diags := b.Body.JustAttributes()
	d.diags = append(d.diags, diags...)
	for name, attr := range attrs {
		v, diags := attr.Expr.Value(nil)
		d.diags = append(d.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		if name == "enforcement" {
			if v.Type() != cty.String || v.IsNull() {
				d.errorf(attr.Expr.Range().Ptr(), "Invalid enforcement", `enforcement must be "advisory", "mandatory" or "disabled".`)
				continue
			}
			switch e := v.AsString(); e {
			case "advisory", "mandatory", "disabled":
				pc.Enforcement = e
			default:
				d.errorf(attr.Expr.Range().Ptr(), "Invalid enforcement", `enforcement must be "advisory", "mandatory" or "disabled", not %q.`, e)
			}
			continue
		}
		pc.Params[name] = PolicyParam{Value: v, Range: attr.Expr.Range()}
	}
	return pc, true
}

func (d *decoder) environment(b *hcl.Block) Environment {
	env := Environment{Name: b.Labels[0], DeclRange: b.DefRange}
	d.checkName("environment", b.Labels[0], b.LabelRanges[0])
	c := d.content(b.Body, environmentSchema)
	target, rng := d.str(c.Attributes, "target", "")
	switch Target(target) {
	case TargetLocal, TargetAWS:
		env.Target = Target(target)
	default:
		if rng != nil {
			d.errorf(rng, "Invalid target", `target must be "local" or "aws", not %q.`, target)
		}
	}
	if state, rng := d.str(c.Attributes, "state", ""); state != "" && !stateRE.MatchString(state) {
		d.errorf(rng, "Invalid state backend", "state must be a Pulumi backend URL (file://, s3://, gs://, azblob:// or https:// for Pulumi Cloud), not %q.", state)
	} else {
		env.State = state
	}
	if secrets, rng := d.str(c.Attributes, "secrets", "passphrase"); !secretsRE.MatchString(secrets) {
		d.errorf(rng, "Invalid secrets provider", `secrets must be "passphrase" or a KMS URL (awskms://, gcpkms://, azurekeyvault://, hashivault://), not %q.`, secrets)
	} else {
		env.Secrets = secrets
	}
	seen := map[string]bool{}
	for _, tb := range c.Blocks {
		tc := d.content(tb.Body, targetsSchema)
		for _, ob := range tc.Blocks {
			if seen[ob.Type] {
				d.errorf(ob.DefRange.Ptr(), "Duplicate target", "The %s target is already declared.", ob.Type)
				continue
			}
			seen[ob.Type] = true
			oc := d.content(ob.Body, objectiveSchema)
			o := Objective{Disruption: Disruption(ob.Type), DeclRange: ob.DefRange}
			o.RTO, _ = d.duration(oc.Attributes, "rto", 0)
			o.RPO, _ = d.duration(oc.Attributes, "rpo", 0)
			env.Objectives = append(env.Objectives, o)
		}
	}
	sort.SliceStable(env.Objectives, func(i, j int) bool {
		return disruptionOrder(env.Objectives[i].Disruption) < disruptionOrder(env.Objectives[j].Disruption)
	})
	return env
}

func disruptionOrder(x Disruption) int {
	for i, y := range Disruptions {
		if x == y {
			return i
		}
	}
	return len(Disruptions)
}

func (d *decoder) region(b *hcl.Block) Region {
	r := Region{Name: b.Labels[0], DeclRange: b.DefRange}
	c := d.content(b.Body, regionSchema)
	r.Primary, _ = d.boolean(c.Attributes, "primary", false)
	zones, rng := d.integer(c.Attributes, "zones", DefaultZones)
	if zones < 1 || zones > 6 {
		d.errorf(rng, "Invalid zone count", "zones must be between 1 and 6, not %d.", zones)
	}
	r.Zones = zones
	nat, rng := d.str(c.Attributes, "nat", string(NATPerZone))
	switch NAT(nat) {
	case NATPerZone, NATSingle:
		r.NAT = NAT(nat)
	default:
		d.errorf(rng, "Invalid NAT", `nat must be "per-zone" or "single", not %q.`, nat)
		r.NAT = NATPerZone
	}
	return r
}

// checkRegions applies the rules that need every region and the target.
func (d *decoder) checkRegions(t *Topology, missing hcl.Range) {
	if len(t.Regions) == 0 {
		d.errorf(&t.Environment.DeclRange, "No regions", `An environment needs at least one region "<name>" {} block.`)
		return
	}
	var primaries []Region
	for _, r := range t.Regions {
		if r.Primary {
			primaries = append(primaries, r)
		}
	}
	switch {
	case len(primaries) == 0 && len(t.Regions) == 1:
		t.Regions[0].Primary = true // one region is the primary, said or not
	case len(primaries) == 0:
		d.errorf(&t.Regions[0].DeclRange, "No primary region", "Exactly one region must say primary = true; none does.")
	case len(primaries) > 1:
		for _, r := range primaries[1:] {
			d.errorf(r.DeclRange.Ptr(), "More than one primary region", "Exactly one region must say primary = true; %q already does.", primaries[0].Name)
		}
	}
	for _, r := range t.Regions {
		rng := r.DeclRange
		switch {
		case reservedRegionNames[r.Name]:
			d.errorf(&rng, "Reserved region name", "%q names the environment's global stack; choose another region name.", r.Name)
		case t.Environment.Target == TargetAWS && !awsRegionRE.MatchString(r.Name):
			d.errorf(&rng, "Not an AWS region code", `With target = "aws", region names are AWS region codes such as "us-east-1"; %q is not one.`, r.Name)
		case t.Environment.Target == TargetAWS && r.Zones < 2:
			// an application load balancer and a DB subnet group each need
			// subnets in two zones at least
			// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html,
			// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html)
			d.errorf(&rng, "Too few zones for AWS", "region %q: AWS load balancers and databases need at least two zones; zones = %d.", r.Name, r.Zones)
		case !nameRE.MatchString(r.Name):
			d.errorf(&rng, "Invalid name", "region %q: names are 1-32 lower-case letters, digits and dashes, starting with a letter.", r.Name)
		}
	}
}

func (d *decoder) checkName(kind, name string, rng hcl.Range) {
	if !nameRE.MatchString(name) {
		d.errorf(&rng, "Invalid name", "%s %q: names are 1-32 lower-case letters, digits and dashes, starting with a letter.", kind, name)
	}
}

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
	if s.Mode == HotStandby && len(s.Regions) < 2 && len(t.Regions) > 0 {
		d.errorf(c.Attributes["mode"].Range.Ptr(), "Hot standby needs two regions",
			"Service %q is hot-standby in %d region(s); a standby needs a region to fail over to.", s.Name, len(s.Regions))
	}

	blocks := map[string]*hcl.Block{}
	for _, nb := range c.Blocks {
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
	return s
}

var sloSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "availability", Required: true}, {Name: "latency_p99"}, {Name: "window"}}}

// slo reads a service's objectives.
func (d *decoder) slo(b *hcl.Block) *SLO {
	o := &SLO{Window: DefaultSLOWindow, DeclRange: b.DefRange}
	c := d.content(b.Body, sloSchema)
	if avail, rng := d.str(c.Attributes, "availability", ""); rng != nil {
		pct, err := strconv.ParseFloat(strings.TrimSuffix(avail, "%"), 64)
		switch {
		case err != nil || !strings.HasSuffix(avail, "%"):
			d.errorf(rng, "Invalid availability", `availability is a percentage such as "99.9%%" or "99.95%%", not %q.`, avail)
		case pct >= 100:
			d.errorf(rng, "Invalid availability", "availability %s leaves no error budget: no system meets it, and no alert can tell a burn from noise; promise less than 100%%.", avail)
		case pct < 50:
			d.errorf(rng, "Invalid availability", "availability %s promises fewer good requests than bad ones; an objective is at least 50%%.", avail)
		default:
			o.Availability = pct / 100
		}
	}
	var rng *hcl.Range
	if o.LatencyP99, rng = d.duration(c.Attributes, "latency_p99", 0); rng != nil && (o.LatencyP99 < time.Millisecond || o.LatencyP99 > time.Minute) {
		d.errorf(rng, "Invalid latency objective", "latency_p99 must be between 1ms and 1m, not %s.", o.LatencyP99)
	}
	if o.Window, rng = d.duration(c.Attributes, "window", DefaultSLOWindow); rng != nil && (o.Window < MinSLOWindow || o.Window > MaxSLOWindow) {
		d.errorf(rng, "Invalid SLO window", "window must be between 7d and 90d (30d is usual), not %s.", o.Window)
	}
	return o
}

// Parameter limits: names are environment variable names (instances get
// them so), values fit Systems Manager Parameter Store's standard tier.
const (
	MaxParameterName  = 128
	MaxParameterValue = 4096
)

var parameterName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// parameters reads a service's runtime configuration, each name checked
// where it is written.
func (d *decoder) parameters(attrs hcl.Attributes) map[string]string {
	v, rng := d.value(attrs, "parameters", cty.Map(cty.String))
	if rng == nil {
		return nil
	}
	ranges := map[string]*hcl.Range{} // each name's own range, when written as an object
	if pairs, diags := hcl.ExprMap(attrs["parameters"].Expr); !diags.HasErrors() {
		for _, kv := range pairs {
			if k, diags := kv.Key.Value(nil); !diags.HasErrors() && k.Type() == cty.String && k.IsKnown() && !k.IsNull() {
				ranges[k.AsString()] = kv.Key.Range().Ptr()
			}
		}
	}
	out := map[string]string{}
	for name, value := range v.AsValueMap() {
		at := rng
		if r, ok := ranges[name]; ok {
			at = r
		}
		switch {
		case len(name) > MaxParameterName || !parameterName.MatchString(name):
			d.errorf(at, "Invalid parameter name", "Parameter %q: names are environment variable names (instances get them so): upper-case letters, digits and underscores, not starting with a digit, at most %d characters.", name, MaxParameterName)
		case contract.Reserved(name):
			d.errorf(at, "Reserved parameter name", "Parameter %q: the platform sets it on every instance (PATH and the runtime contract's BULWARK_* names); choose another name.", name)
		case value.IsNull():
			d.errorf(at, "Invalid parameter value", "Parameter %q has no value.", name)
		case len(value.AsString()) > MaxParameterValue:
			d.errorf(at, "Parameter too long", "Parameter %q is %d bytes; a parameter holds at most %d (Parameter Store's standard tier).", name, len(value.AsString()), MaxParameterValue)
		default:
			out[name] = value.AsString()
		}
	}
	return out
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
	if h.Path, rng = d.str(c.Attributes, "path", DefaultHealthPath); !strings.HasPrefix(h.Path, "/") {
		d.errorf(rng, "Invalid health check path", "path must start with /, not %q.", h.Path)
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

func (d *decoder) dns(b *hcl.Block) DNS {
	c := d.content(b.Body, dnsSchema)
	n := DNS{DeclRange: b.DefRange}
	var rng *hcl.Range
	if n.Zone, rng = d.str(c.Attributes, "zone", ""); rng != nil && !dnsZoneRE.MatchString(n.Zone) {
		d.errorf(rng, "Invalid DNS zone", "%q is not a DNS zone name (lower-case labels separated by dots, no trailing dot).", n.Zone)
	}
	if n.Name, rng = d.str(c.Attributes, "name", DefaultDNSName); !dnsLabelRE.MatchString(n.Name) {
		d.errorf(rng, "Invalid DNS name", "%q is not a DNS label (use @ for the zone's apex).", n.Name)
	}
	if n.TTL, rng = d.duration(c.Attributes, "ttl", DefaultDNSTTL); n.TTL%time.Second != 0 || n.TTL < time.Second {
		d.errorf(rng, "Invalid DNS TTL", "ttl is a whole number of seconds, at least 1s, not %s.", n.TTL)
	}
	return n
}

func (d *decoder) database(b *hcl.Block, t *Topology) *Database {
	c := d.content(b.Body, databaseSchema)
	db := &Database{DeclRange: b.DefRange}
	var engineRange *hcl.Range
	db.Engine, engineRange = d.str(c.Attributes, "engine", "")
	switch {
	case engineRange == nil:
	case db.Engine == EngineDynamoDB && t.Environment.Target != TargetAWS:
		d.errorf(engineRange, "Unsupported database engine", `engine "dynamodb" (a DynamoDB global table) needs target = "aws"; the %s target has "postgres".`, t.Environment.Target)
	case db.Engine != EnginePostgres && db.Engine != EngineDynamoDB:
		d.errorf(engineRange, "Unsupported database engine", `engine must be "postgres" or "dynamodb", not %q.`, db.Engine)
	}
	repl, rng := d.str(c.Attributes, "replication", string(DefaultReplication))
	switch Replication(repl) {
	case Synchronous, Asynchronous:
		db.Replication = Replication(repl)
	default:
		d.errorf(rng, "Invalid replication", `replication must be "sync" or "async", not %q.`, repl)
	}
	if db.Engine == EngineDynamoDB && db.Replication == Synchronous {
		d.errorf(rng, "Invalid replication", `A DynamoDB global table here replicates asynchronously (last writer wins); use replication = "async" or engine = "postgres".`)
	}
	db.DeletionProtection, _ = d.boolean(c.Attributes, "deletion_protection", false)
	return db
}

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

// https reads the https block: one certificate ARN for each of the
// service's regions, issued in that region.
func (d *decoder) https(b *hcl.Block, t *Topology, s Service) *HTTPS {
	c := d.content(b.Body, httpsSchema)
	h := &HTTPS{DeclRange: b.DefRange, Certificates: map[string]string{}}
	if t.Environment.Target == TargetLocal {
		d.errorf(b.DefRange.Ptr(), "HTTPS is not supported on the local target", "The local target's load balancers speak plain HTTP on loopback; remove the https block or use target = \"aws\".")
		return nil
	}
	v, rng := d.value(c.Attributes, "certificates", cty.Map(cty.String))
	if rng == nil {
		if _, set := c.Attributes["certificates"]; !set {
			d.errorf(b.DefRange.Ptr(), "HTTPS without a certificate",
				"Service %q asks for HTTPS but names no certificate: add certificates = { \"<region>\" = \"arn:aws:acm:<region>:<account>:certificate/<id>\" } for each of its regions (%s).",
				s.Name, strings.Join(s.Regions, ", "))
		}
		return nil
	}
	for region, arn := range v.AsValueMap() {
		if arn.IsNull() {
			continue
		}
		h.Certificates[region] = arn.AsString()
	}
	for _, region := range slices.Sorted(maps.Keys(h.Certificates)) {
		arn := h.Certificates[region]
		if !slices.Contains(s.Regions, region) {
			d.errorf(rng, "Unknown region", "certificates names region %q, where service %q does not run (it runs in: %s).", region, s.Name, strings.Join(s.Regions, ", "))
			continue
		}
		m := acmARN.FindStringSubmatch(arn)
		switch {
		case m == nil:
			d.errorf(rng, "Invalid certificate", "certificates[%q] = %q is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>).", region, arn)
		case m[1] != region:
			d.errorf(rng, "Certificate from another region", "certificates[%q] was issued in %s; a load balancer takes only certificates of its own region.", region, m[1])
		}
	}
	for _, region := range s.Regions {
		if _, ok := h.Certificates[region]; !ok {
			d.errorf(rng, "HTTPS without a certificate", "Service %q runs in %s but certificates has none for it.", s.Name, region)
		}
	}
	return h
}

func (d *decoder) backup(b *hcl.Block, t *Topology) *Backup {
	c := d.content(b.Body, backupSchema)
	bk := &Backup{DeclRange: b.DefRange}
	var rEvery, rKeep *hcl.Range
	bk.Every, rEvery = d.duration(c.Attributes, "every", 0)
	bk.Keep, rKeep = d.duration(c.Attributes, "keep", 0)
	if rEvery != nil && bk.Every < time.Minute {
		d.errorf(rEvery, "Invalid backup schedule", "every must be at least 1m, not %s.", bk.Every)
	}
	if rEvery != nil && rKeep != nil && bk.Keep < bk.Every {
		d.errorf(rKeep, "Invalid backup retention", "keep (%s) must be at least one backup interval (%s).", bk.Keep, bk.Every)
	}
	if list, rng := d.strList(c.Attributes, "copy_to"); rng != nil {
		bk.CopyTo = d.regionRefs(t, list, rng, "copy_to")
	}
	bk.RestoreTests, _ = d.boolean(c.Attributes, "restore_tests", false)
	return bk
}

// regionRefs checks that every name in list is a region of the environment,
// at most once, and returns them in the environment's region order.
func (d *decoder) regionRefs(t *Topology, list []string, rng *hcl.Range, attr string) []string {
	want := map[string]bool{}
	for _, name := range list {
		if _, ok := t.Region(name); !ok {
			d.errorf(rng, "Unknown region", "%s names region %q, which this environment does not declare (it has: %s).",
				attr, name, strings.Join(t.RegionNames(), ", "))
			continue
		}
		if want[name] {
			d.errorf(rng, "Duplicate region", "%s names region %q twice.", attr, name)
		}
		want[name] = true
	}
	var out []string
	for _, r := range t.Regions {
		if want[r.Name] {
			out = append(out, r.Name)
		}
	}
	return out
}

// value evaluates an attribute with no variables or functions and converts it.
func (d *decoder) value(attrs hcl.Attributes, name string, ty cty.Type) (cty.Value, *hcl.Range) {
	attr, ok := attrs[name]
	if !ok {
		return cty.NilVal, nil
	}
	v, diags := attr.Expr.Value(nil)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, nil
	}
	rng := attr.Expr.Range().Ptr()
	conv, err := convert.Convert(v, ty)
	if err != nil || conv.IsNull() || !conv.IsWhollyKnown() {
		d.errorf(rng, "Incorrect attribute value type", "%s must be a %s.", name, ty.FriendlyName())
		return cty.NilVal, nil
	}
	return conv, rng
}

func (d *decoder) str(attrs hcl.Attributes, name, def string) (string, *hcl.Range) {
	v, rng := d.value(attrs, name, cty.String)
	if rng == nil {
		return def, nil
	}
	return v.AsString(), rng
}

func (d *decoder) integer(attrs hcl.Attributes, name string, def int) (int, *hcl.Range) {
	v, rng := d.value(attrs, name, cty.Number)
	if rng == nil {
		return def, nil
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		d.errorf(rng, "Incorrect attribute value type", "%s must be a whole number.", name)
		return def, nil
	}
	i, acc := bf.Int64()
	if acc != 0 || i > 1<<31 || i < -(1<<31) {
		d.errorf(rng, "Incorrect attribute value type", "%s is out of range.", name)
		return def, nil
	}
	return int(i), rng
}

func (d *decoder) boolean(attrs hcl.Attributes, name string, def bool) (bool, *hcl.Range) {
	v, rng := d.value(attrs, name, cty.Bool)
	if rng == nil {
		return def, nil
	}
	return v.True(), rng
}

// duration reads a duration string ("30s", "35d"), or a bare number of seconds.
func (d *decoder) duration(attrs hcl.Attributes, name string, def time.Duration) (time.Duration, *hcl.Range) {
	if attr, ok := attrs[name]; ok {
		if v, diags := attr.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.Number && v.IsKnown() && !v.IsNull() {
			secs, rng := d.integer(attrs, name, 0)
			if rng != nil && secs < 0 {
				d.errorf(rng, "Invalid duration", "%s must not be negative, not %d.", name, secs)
				return def, nil
			}
			if rng == nil {
				return def, nil
			}
			return time.Duration(secs) * time.Second, rng
		}
	}
	s, rng := d.str(attrs, name, "")
	if s == "" {
		if rng != nil && attrs[name] != nil {
			d.errorf(rng, "Invalid duration", "%s must be a duration such as \"30s\", \"5m\" or \"35d\".", name)
		}
		return def, rng
	}
	dur, err := ParseDuration(s)
	if err != nil {
		d.errorf(rng, "Invalid duration", "%s: %v", name, err)
		return def, nil
	}
	return dur, rng
}

func (d *decoder) strList(attrs hcl.Attributes, name string) ([]string, *hcl.Range) {
	v, rng := d.value(attrs, name, cty.List(cty.String))
	if rng == nil {
		return nil, nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.IsNull() {
			d.errorf(rng, "Incorrect attribute value type", "%s must be a list of strings, without nulls.", name)
			return nil, nil
		}
		out = append(out, ev.AsString())
	}
	return out, rng
}
