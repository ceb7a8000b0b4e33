package awsconstraints

import (
	"fmt"
	"sort"
	"strings"
)

const (
	typeHealthCheck = "aws:route53/healthCheck:HealthCheck"
	typeRecord      = "aws:route53/record:Record"
	typeMetricAlarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
)

// routing is a record's routing policy.
func routing(r subject) string {
	for _, p := range []struct{ key, name string }{
		{"failoverRoutingPolicies", "failover"}, {"latencyRoutingPolicies", "latency"}, {"weightedRoutingPolicies", "weighted"},
		{"geolocationRoutingPolicies", "geolocation"}, {"geoproximityRoutingPolicy", "geoproximity"}, {"cidrRoutingPolicy", "cidr"},
	} {
		if v := r.in(p.key); len(list(v)) > 0 || len(obj(v)) > 0 {
			return p.name
		}
	}
	if truthy(r.in("multivalueAnswerRoutingPolicy")) {
		return "multivalue"
	}
	return "simple"
}

// recordSets groups the plan's records by hosted zone, name and type.
func recordSets(ix *index) map[string][]subject {
	sets := map[string][]subject{}
	for _, r := range ix.ofType(typeRecord) {
		key := strings.Join([]string{str(r.Inputs, "zoneId"), strings.TrimSuffix(strings.ToLower(str(r.Inputs, "name")), "."), str(r.Inputs, "type")}, "\x00")
		sets[key] = append(sets[key], r)
	}
	return sets
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var route53Rules = []Rule{{
	ID:      "route53-health-check",
	Summary: "a health check's request interval is 10 or 30 s, its failure threshold 1-10, its port 1-65535, its resource path and FQDN at most 255 characters",
	Source:  "https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html",
	Types:   []string{typeHealthCheck},
	check: func(_ *index, r subject) []string {
		out := msgs(
			inRange("failureThreshold", r.in("failureThreshold"), 1, 10),
			inRange("port", r.in("port"), 1, 65535),
		)
		if v, ok := num(r.in("requestInterval")); ok && v != 10 && v != 30 {
			out = append(out, fmt.Sprintf("requestInterval is %s; Route 53 checks every 10 or 30 seconds", fmtNum(v)))
		}
		for _, k := range []string{"resourcePath", "fqdn"} {
			if s := str(r.Inputs, k); len(s) > 255 {
				out = append(out, fmt.Sprintf("%s has %d characters; at most 255", k, len(s)))
			}
		}
		return out
	},
}, {
	ID:      "route53-cname-apex",
	Summary: "a CNAME record cannot be at the zone apex",
	Source:  "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#CNAMEFormat",
	Types:   []string{typeRecord},
	check: func(ix *index, r subject) []string {
		if str(r.Inputs, "type") != "CNAME" {
			return nil
		}
		zone, ok := ix.zoneNames[str(r.Inputs, "zoneId")]
		name := strings.TrimSuffix(strings.ToLower(str(r.Inputs, "name")), ".")
		if ok && name == strings.ToLower(zone) {
			return []string{fmt.Sprintf("CNAME %s is the apex of hosted zone %s; use an alias A record", name, zone)}
		}
		return nil
	},
}, {
	ID:      "route53-cname-alone",
	Summary: "no other record may share a CNAME record's name",
	Source:  "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#CNAMEFormat",
	plan: func(ix *index) []Violation {
		types := map[string]map[string]bool{}
		var cnames []subject
		for _, r := range ix.ofType(typeRecord) {
			key := str(r.Inputs, "zoneId") + "\x00" + strings.TrimSuffix(strings.ToLower(str(r.Inputs, "name")), ".")
			if types[key] == nil {
				types[key] = map[string]bool{}
			}
			types[key][str(r.Inputs, "type")] = true
			if str(r.Inputs, "type") == "CNAME" {
				cnames = append(cnames, r)
			}
		}
		var out []Violation
		for _, r := range cnames {
			key := str(r.Inputs, "zoneId") + "\x00" + strings.TrimSuffix(strings.ToLower(str(r.Inputs, "name")), ".")
			var others []string
			for _, t := range sortedKeys(types[key]) {
				if t != "CNAME" {
					others = append(others, t)
				}
			}
			if len(others) > 0 {
				out = append(out, Violation{Stack: r.Stack, URN: r.URN, Type: r.Type, Message: fmt.Sprintf("CNAME %s shares its name with %s record(s)", str(r.Inputs, "name"), strings.Join(others, ", "))})
			}
		}
		return out
	},
}, {
	ID:      "route53-routing",
	Summary: "the records of one name and type share one routing policy, each with a distinct set identifier of 1-128 characters (none for simple routing); failover routing has exactly one PRIMARY and one SECONDARY",
	Source:  "https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html",
	plan: func(ix *index) []Violation {
		var out []Violation
		sets := recordSets(ix)
		for _, key := range sortedKeys(sets) {
			set := sets[key]
			bad := func(r subject, format string, args ...any) {
				out = append(out, Violation{Stack: r.Stack, URN: r.URN, Type: r.Type, Message: fmt.Sprintf(format, args...)})
			}
			policies := map[string]bool{}
			ids := map[string]int{}
			roles := map[string]int{}
			for _, r := range set {
				p := routing(r)
				policies[p] = true
				id := str(r.Inputs, "setIdentifier")
				switch {
				case p == "simple" && id != "":
					bad(r, "simple routing with set identifier %q", id)
				case p != "simple" && (len(id) < 1 || len(id) > 128):
					bad(r, "%s routing needs a set identifier of 1-128 characters, not %q", p, id)
				}
				ids[id]++
				if p == "failover" {
					roles[str(obj(list(r.in("failoverRoutingPolicies"))[0]), "type")]++
				}
			}
			name := strings.ReplaceAll(key, "\x00", " ")
			if len(policies) > 1 {
				bad(set[0], "records of %s mix routing policies %s", name, strings.Join(sortedKeys(policies), ", "))
			}
			if policies["simple"] && len(set) > 1 {
				bad(set[0], "%d simple records of %s", len(set), name)
			}
			for _, id := range sortedKeys(ids) {
				if ids[id] > 1 && id != "" {
					bad(set[0], "set identifier %q used %d times in %s", id, ids[id], name)
				}
			}
			if policies["failover"] && (roles["PRIMARY"] != 1 || roles["SECONDARY"] != 1) {
				bad(set[0], "failover records of %s: %d PRIMARY and %d SECONDARY; Route 53 takes exactly one of each", name, roles["PRIMARY"], roles["SECONDARY"])
			}
		}
		return out
	},
}, {
	ID:      "route53-latency-region",
	Summary: "a latency record's Region is the Region of the resource it points at",
	Source:  "https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html",
	Types:   []string{typeRecord},
	check: func(_ *index, r subject) []string {
		policies := list(r.in("latencyRoutingPolicies"))
		if len(policies) == 0 {
			return nil
		}
		want := str(obj(policies[0]), "region")
		targets := strs(r.in("records"))
		for _, a := range list(r.in("aliases")) {
			targets = append(targets, str(obj(a), "name"))
		}
		var out []string
		for _, t := range targets {
			if region := hostRegion(t); region != "" && region != want {
				out = append(out, fmt.Sprintf("latency Region %s, but it points at %s in %s", want, t, region))
			}
		}
		return out
	},
}, {
	ID:      "route53-ttl",
	Summary: "a record's TTL is 0-2147483647 s; an alias record has none and a non-alias record needs one",
	Source:  "https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html",
	Types:   []string{typeRecord},
	check: func(_ *index, r subject) []string {
		_, hasTTL := num(r.in("ttl"))
		alias := len(list(r.in("aliases"))) > 0
		out := msgs(inRange("ttl", r.in("ttl"), 0, 2147483647))
		switch {
		case alias && hasTTL:
			out = append(out, "an alias record with a TTL")
		case !alias && !hasTTL:
			out = append(out, "a record without a TTL")
		}
		return out
	},
}, {
	ID:      "route53-metrics-us-east-1",
	Summary: "alarms on Route 53 health check metrics live in us-east-1, the only Region that has them",
	Source:  "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html",
	Types:   []string{typeMetricAlarm},
	check: func(_ *index, r subject) []string {
		namespaces := []string{str(r.Inputs, "namespace")}
		for _, q := range list(r.in("metricQueries")) {
			namespaces = append(namespaces, str(obj(q), "metric", "namespace"))
		}
		for _, ns := range namespaces {
			if ns == "AWS/Route53" && r.Region != "us-east-1" {
				return []string{fmt.Sprintf("an alarm on AWS/Route53 metrics in %s", r.Region)}
			}
		}
		return nil
	},
}}
