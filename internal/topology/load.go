package topology

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/bulwark-dev/bulwark/internal/contract"
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
		{Type: "external", LabelNames: []string{"name"}},
	}}
	environmentSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "target", Required: true}, {Name: "state"}, {Name: "secrets"}, {Name: "prices"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "targets"}, {Type: "usage"}},
	}
	targetsSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: string(DisruptionInstance)}, {Type: string(DisruptionZone)},
		{Type: string(DisruptionRegion)}, {Type: string(DisruptionDatabase)},
	}}
	objectiveSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "rto", Required: true}, {Name: "rpo", Required: true}}}
	regionSchema    = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "primary"}, {Name: "zones"}, {Name: "nat"}}}
	serviceSchema   = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "mode", Required: true}, {Name: "image", Required: true}, {Name: "port", Required: true}, {Name: "regions"}, {Name: "runtime"}, {Name: "parameters"}, {Name: "secret_parameters"}},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "capacity"}, {Type: "scaling"}, {Type: "health"}, {Type: "dns"}, {Type: "database"}, {Type: "backup"}, {Type: "https"}, {Type: "rollout"}, {Type: "slo"},
			{Type: "write_queue"}, {Type: "cache"}, {Type: "usage"},
			{Type: "depends_on", LabelNames: []string{"on"}},
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
	// awsRegionRE matches AWS region codes such as us-east-1 or us-gov-west-1.
	awsRegionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	stateRE     = regexp.MustCompile(`^(file|s3|gs|azblob|https?)://`)
	// acmARN is an ACM certificate's ARN; the group is its region.
	acmARN    = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[A-Za-z0-9-]+$`)
	secretsRE = regexp.MustCompile(`^(passphrase|(awskms|gcpkms|azurekeyvault|hashivault)://.+)$`)
	// urlChars is what a state backend or secrets provider URL may hold:
	// the characters real backend and KMS URLs use (bucket and key names,
	// paths, a query of key=value pairs, ARNs); anything else, spaces and
	// non-ASCII letters of a file path included, is %XX-escaped. The URL
	// goes to Pulumi's project file and command line.
	urlChars = regexp.MustCompile(`^[A-Za-z0-9._~:/?=&%@+,-]*$`)
)

// URLMax is the longest state backend or secrets provider URL.
const URLMax = 1024

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
	var serviceBlocks, externalBlocks []*hcl.Block
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
		case "external":
			externalBlocks = append(externalBlocks, b)
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
	d.externals(externalBlocks, topo)
	for _, b := range serviceBlocks {
		s := d.service(b, topo)
		if prev, dup := serviceSeen[s.Name]; dup {
			d.errorf(&b.LabelRanges[0], "Duplicate service", "Service %q is already declared at %s.", s.Name, prev)
			continue
		}
		serviceSeen[s.Name] = b.LabelRanges[0].Ptr()
		topo.Services = append(topo.Services, s)
	}
	d.checkDependencies(topo)
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
		d.errorf(rng, "Invalid state backend", "state must be a Pulumi backend URL (file://, s3://, gs://, azblob:// or https:// for Pulumi Cloud), not %q.", clip(state))
	} else if err := checkURL(state); err != nil {
		d.errorf(rng, "Invalid state backend", "state: %v.", err)
	} else {
		env.State = state
	}
	if secrets, rng := d.str(c.Attributes, "secrets", "passphrase"); !secretsRE.MatchString(secrets) {
		d.errorf(rng, "Invalid secrets provider", `secrets must be "passphrase" or a KMS URL (awskms://, gcpkms://, azurekeyvault://, hashivault://), not %q.`, clip(secrets))
	} else if err := checkURL(secrets); err != nil {
		d.errorf(rng, "Invalid secrets provider", "secrets: %v.", err)
	} else {
		env.Secrets = secrets
	}
	env.Prices, env.PricesRange = d.pricesDir(c.Attributes)
	env.Usage = d.environmentUsage(c.Blocks.OfType("usage"))
	seen := map[string]bool{}
	for _, tb := range c.Blocks.OfType("targets") {
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
		case contract.CheckName(r.Name) != nil:
			d.errorf(&rng, "Invalid name", "region: %v.", contract.CheckName(r.Name))
		}
	}
}

// checkName reports a name that cannot name an environment, region,
// service or layer: it reaches stack, file and AWS names and the
// configuration of every program the local target runs.
func (d *decoder) checkName(kind, name string, rng hcl.Range) {
	if err := contract.CheckName(name); err != nil {
		d.errorf(&rng, "Invalid name", "%s: %v.", kind, err)
	}
}

// checkURL says why a state backend or secrets provider URL cannot be
// handed to Pulumi (nil when it can).
func checkURL(s string) error {
	switch {
	case len(s) > URLMax:
		return fmt.Errorf("a URL has at most %d characters, not %d", URLMax, len(s))
	case !urlChars.MatchString(s):
		return fmt.Errorf("a URL holds letters, digits and - . _ ~ : / ? = & @ + , only, anything else written as %%XX; not %q", clip(s))
	}
	if _, err := url.Parse(s); err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	return nil
}

// clip shortens a refused value for a diagnostic: a 10,000-character
// value is named by its beginning.
func clip(s string) string {
	const keep = 80
	if len(s) <= keep {
		return s
	}
	return s[:keep] + "..."
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
