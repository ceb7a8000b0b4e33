package topology

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/hostile"

	"github.com/zclconf/go-cty/cty"
)

// hostileLocalEnv is a valid local environment in which every string
// field is a «marker», each on its own line. A field under test takes a
// hostile string; the others take their ordinary value (hostileDefaults).
const hostileLocalEnv = `environment "«environment»" {
  target  = "local"
  state   = "file:///tmp/«state»"
  secrets = "awskms://alias/«secrets»"
}
region "east" {
  primary = true
}
region "west" {}
region "«region»" {
  nat = "«nat»"
}
service "«service»" {
  mode       = "«mode»"
  image      = "«image»"
  runtime    = "«runtime»"
  port       = 8080
  regions    = ["east", "«regions»"]
  parameters = {
    "«parameter_name»" = "x"
    GREETING = "«parameter_value»"
  }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "/«health_path»"
  }
  dns {
    zone = "«dns_zone»"
    name = "«dns_name»"
    ttl  = "«dns_ttl»"
  }
  database {
    engine      = "«engine»"
    replication = "«replication»"
  }
  write_queue {
    paths = ["/«write_queue_path»"]
  }
  cache {
    paths = ["/«cache_path»"]
  }
  backup {
    every   = "1h"
    keep    = "1d"
    copy_to = ["«copy_to»"]
  }
  rollout {
    strategy       = "canary"
    canary         = "«canary»"
    max_error_rate = "«max_error_rate»"
  }
  slo {
    availability = "«availability»"
  }
}
policy "zone-spread" {
  enforcement = "«enforcement»"
}
layer "«layer»" {
  source = "layers/ok"
}
layer "vars" {
  source = "«layer_source»"
  after  = ["«layer_after»"]
  vars = {
    "«layer_var_name»" = "x"
    value = "«layer_var_value»"
  }
}
`

// hostileAWSEnv holds the strings only the aws target reads.
const hostileAWSEnv = `environment "staging" {
  target = "aws"
}
region "us-east-1" {
  primary = true
}
region "«aws_region»" {}
service "shop" {
  mode    = "active-active"
  image   = "shop"
  port    = 8080
  regions = ["us-east-1"]
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns {
    zone = "shop.example.com"
  }
  https {
    certificates = { "«certificate_region»" = "«certificate»" }
  }
}
`

// hostileDefaults are the fields' ordinary values.
var hostileDefaults = map[string]string{
	"environment": "dev", "state": "state", "secrets": "key", "region": "north", "nat": "per-zone",
	"service": "shop", "mode": "active-active", "image": "shop", "runtime": "vm", "regions": "west",
	"parameter_name": "LOG_LEVEL", "parameter_value": "hello", "health_path": "healthz",
	"dns_zone": "shop.test", "dns_name": "www", "dns_ttl": "5s", "engine": "postgres", "replication": "async",
	"write_queue_path": "writes", "cache_path": "catalog",
	"copy_to": "west", "canary": "west", "max_error_rate": "1%", "availability": "99.9%", "enforcement": "advisory",
	"layer": "network", "layer_source": "layers/ok", "layer_after": "stacks", "layer_var_name": "region", "layer_var_value": "east",
	"aws_region": "us-west-2", "certificate_region": "us-east-1",
	"certificate": "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
}

// hclString writes s as the inside of an HCL quoted string, escaped so
// that the loader reads s back: quotes, backslashes and control
// characters escaped, template sequences doubled. Bytes that are not
// UTF-8 stay as they are, since HCL has no escape for them.
func hclString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, c)
		case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(c)
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// render fills a template: field takes value, every other marker its default.
func render(t *testing.T, template, field, value string) (src []byte, line int) {
	t.Helper()
	var out []string
	for i, l := range strings.Split(template, "\n") {
		if strings.Contains(l, "«"+field+"»") {
			line = i + 1
			l = strings.ReplaceAll(l, "«"+field+"»", hclString(value))
		}
		for name, def := range hostileDefaults {
			l = strings.ReplaceAll(l, "«"+name+"»", hclString(def))
		}
		out = append(out, l)
	}
	if line == 0 {
		t.Fatalf("no «%s» in the template", field)
	}
	return []byte(strings.Join(out, "\n")), line
}

// Every string field of an environment file, fed every hostile string:
// each is refused with a diagnostic at the field's own line, or, for the
// few fields whose value is data handed over whole (a parameter's value,
// a layer variable's value), loaded byte for byte as written, to be
// written inert (an environment variable, Parameter Store, JSON).
func TestHostileStrings(t *testing.T) {
	everything := func() []string {
		var all []string
		for _, h := range hostile.Strings {
			all = append(all, h.What)
		}
		return all
	}()
	fields := []struct {
		field, template string
		// summary is the diagnostic expected at the field's line (the
		// parser's own for bytes that are not UTF-8)
		summary string
		// otherwise are the diagnostics expected for some hostile strings
		// instead of summary
		otherwise map[string]string
		// accepted are the hostile strings the field loads as written
		accepted []string
		// loaded reads the field's value back from a loaded topology
		loaded func(*Topology) string
	}{
		{field: "environment", template: hostileLocalEnv, summary: "Invalid name"},
		{field: "state", template: hostileLocalEnv, summary: "Invalid state backend", accepted: []string{"uppercase", "path traversal"},
			loaded: func(t *Topology) string { return strings.TrimPrefix(t.Environment.State, "file:///tmp/") }},
		{field: "secrets", template: hostileLocalEnv, summary: "Invalid secrets provider", accepted: []string{"uppercase", "path traversal"},
			loaded: func(t *Topology) string { return strings.TrimPrefix(t.Environment.Secrets, "awskms://alias/") }},
		{field: "region", template: hostileLocalEnv, summary: "Invalid name"},
		{field: "nat", template: hostileLocalEnv, summary: "Invalid NAT"},
		{field: "service", template: hostileLocalEnv, summary: "Invalid name"},
		{field: "mode", template: hostileLocalEnv, summary: "Invalid mode"},
		{field: "image", template: hostileLocalEnv, summary: "Invalid image name"},
		{field: "runtime", template: hostileLocalEnv, summary: "Invalid runtime"},
		{field: "regions", template: hostileLocalEnv, summary: "Unknown region"},
		{field: "parameter_name", template: hostileLocalEnv, summary: "Invalid parameter name", accepted: []string{"uppercase"},
			loaded: func(t *Topology) string {
				for name := range t.Services[0].Parameters {
					if name != "GREETING" {
						return name
					}
				}
				return ""
			}},
		{field: "parameter_value", template: hostileLocalEnv, summary: "Invalid parameter value", otherwise: map[string]string{"10 000 characters": "Parameter too long"},
			accepted: without(everything, "NUL", "invalid UTF-8", "10 000 characters"),
			loaded:   func(t *Topology) string { return t.Services[0].Parameters["GREETING"] }},
		{field: "health_path", template: hostileLocalEnv, summary: "Invalid health check path", accepted: []string{"uppercase", "path traversal"},
			loaded: func(t *Topology) string { return strings.TrimPrefix(t.Services[0].Health.Path, "/") }},
		{field: "dns_zone", template: hostileLocalEnv, summary: "Invalid DNS zone"},
		{field: "dns_name", template: hostileLocalEnv, summary: "Invalid DNS name"},
		{field: "dns_ttl", template: hostileLocalEnv, summary: "Invalid duration"},
		{field: "engine", template: hostileLocalEnv, summary: "Unsupported database engine"},
		{field: "replication", template: hostileLocalEnv, summary: "Invalid replication"},
		// "/../../etc" is a path the route checks take, but no request
		// holds once resolved: refused as a prefix that matches nothing
		{field: "write_queue_path", template: hostileLocalEnv, summary: "Invalid write queue path", accepted: []string{"uppercase"},
			loaded: func(t *Topology) string { return strings.TrimPrefix(t.Services[0].WriteQueue.Paths[0], "/") }},
		{field: "cache_path", template: hostileLocalEnv, summary: "Invalid cache path", accepted: []string{"uppercase"},
			loaded: func(t *Topology) string { return strings.TrimPrefix(t.Services[0].Cache.Paths[0], "/") }},
		{field: "copy_to", template: hostileLocalEnv, summary: "Unknown region"},
		{field: "canary", template: hostileLocalEnv, summary: "Unknown canary region"},
		{field: "max_error_rate", template: hostileLocalEnv, summary: "Invalid error rate"},
		{field: "availability", template: hostileLocalEnv, summary: "Invalid availability"},
		{field: "enforcement", template: hostileLocalEnv, summary: "Invalid enforcement"},
		{field: "layer", template: hostileLocalEnv, summary: "Invalid name"},
		{field: "layer_source", template: hostileLocalEnv, summary: "Layer source not found"},
		{field: "layer_after", template: hostileLocalEnv, summary: "Unknown layer dependency"},
		{field: "layer_var_name", template: hostileLocalEnv, summary: "Invalid variable name", accepted: []string{"uppercase", "10 000 characters"},
			loaded: func(t *Topology) string {
				for name := range t.Layers[1].Vars {
					if name != "value" {
						return name
					}
				}
				return ""
			}},
		{field: "layer_var_value", template: hostileLocalEnv, accepted: without(everything, "invalid UTF-8"),
			loaded: func(t *Topology) string {
				v, diags := t.Layers[1].Vars["value"].Value(nil)
				if diags.HasErrors() || v.Type() != cty.String {
					return fmt.Sprintf("<%s: %v>", v.Type().FriendlyName(), diags)
				}
				return v.AsString()
			}},
		{field: "aws_region", template: hostileAWSEnv, summary: "Not an AWS region code"},
		{field: "certificate_region", template: hostileAWSEnv, summary: "Unknown region"},
		{field: "certificate", template: hostileAWSEnv, summary: "Invalid certificate"},
	}
	for template, field := range map[string]string{hostileLocalEnv: "environment", hostileAWSEnv: "aws_region"} {
		src, _ := render(t, template, field, hostileDefaults[field])
		if _, err := (&Loader{Root: "testdata"}).Load("ordinary.hcl", src); err != nil {
			t.Fatalf("the template with ordinary values does not load: %v", err)
		}
	}
	for _, f := range fields {
		for _, h := range hostile.Strings {
			t.Run(f.field+"/"+h.What, func(t *testing.T) {
				src, line := render(t, f.template, f.field, h.Value)
				topo, err := (&Loader{Root: "testdata"}).Load("hostile.hcl", src)
				if slices.Contains(f.accepted, h.What) {
					if err != nil {
						t.Fatalf("refused, want it loaded as written: %v", err)
					}
					if got := f.loaded(topo); got != h.Value {
						t.Errorf("loaded %.80q, want %.80q", got, h.Value)
					}
					return
				}
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("loaded, want a diagnostic at line %d (err %v)", line, err)
				}
				var de *DiagnosticsError
				if !errors.As(err, &de) {
					t.Fatalf("err is %T, want *DiagnosticsError", err)
				}
				want := f.summary
				if o, ok := f.otherwise[h.What]; ok {
					want = o
				}
				var atLine []string
				for _, d := range de.Diags {
					if d.Subject != nil && d.Subject.Filename == "hostile.hcl" && d.Subject.Start.Line == line {
						atLine = append(atLine, d.Summary)
					}
				}
				switch {
				case len(atLine) == 0:
					t.Errorf("no diagnostic at line %d:\n%.2000s", line, de.Diags.Error())
				case h.What == "invalid UTF-8":
					// refused by HCL's parser, before any check of the field
				case !slices.Contains(atLine, want):
					t.Errorf("diagnostics at line %d are %q, want %q", line, atLine, want)
				}
			})
		}
	}
}

// without returns list less the given names.
func without(list []string, names ...string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return slices.Contains(names, s) })
}
