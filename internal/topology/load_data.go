package topology

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

var sloSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "availability", Required: true}, {Name: "latency_p99"}, {Name: "window"}}}

// availability reads an availability attribute: a percentage at least 50
// and under 100 (0 and nil when it is absent or invalid).
func (d *decoder) availability(attrs hcl.Attributes) (float64, *hcl.Range) {
	avail, rng := d.str(attrs, "availability", "")
	if rng == nil {
		return 0, nil
	}
	pct, err := strconv.ParseFloat(strings.TrimSuffix(avail, "%"), 64)
	switch {
	case err != nil || !strings.HasSuffix(avail, "%"):
		d.errorf(rng, "Invalid availability", `availability is a percentage such as "99.9%%" or "99.95%%", not %q.`, avail)
	case pct >= 100:
		d.errorf(rng, "Invalid availability", "availability %s leaves no error budget: no system meets it, and no alert can tell a burn from noise; promise less than 100%%.", avail)
	case pct < 50:
		d.errorf(rng, "Invalid availability", "availability %s promises fewer good requests than bad ones; an objective is at least 50%%.", avail)
	default:
		return pct / 100, rng
	}
	return 0, nil
}

// slo reads a service's objectives.
func (d *decoder) slo(b *hcl.Block) *SLO {
	o := &SLO{Window: DefaultSLOWindow, DeclRange: b.DefRange}
	c := d.content(b.Body, sloSchema)
	o.Availability, _ = d.availability(c.Attributes)
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
		case strings.ContainsRune(value.AsString(), 0):
			// an environment variable ends at its first NUL (execve's
			// strings are NUL-terminated): the instance would get less
			d.errorf(at, "Invalid parameter value", "Parameter %q holds a NUL character, which no environment variable can carry.", name)
		default:
			out[name] = value.AsString()
		}
	}
	return out
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
