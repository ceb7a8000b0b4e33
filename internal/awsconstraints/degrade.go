package awsconstraints

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The parts of graceful degradation on AWS: SQS queues (a service's write
// queue and its dead-letter queue) and CloudFront distributions (a
// service's cache, with an origin group that fails over between regions).

const (
	typeQueue        = "aws:sqs/queue:Queue"
	typeDistribution = "aws:cloudfront/distribution:Distribution"
	typeCachePolicy  = "aws:cloudfront/cachePolicy:CachePolicy"
)

// sqsQueueNameRE: letters, digits, hyphens and underscores, .fifo at the
// end of a FIFO queue's name.
var sqsQueueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.fifo)?$`)

// redrivePolicy is a queue's redrive policy, parsed (nil when it has none
// or the plan cannot show it).
func redrivePolicy(r subject) map[string]any {
	doc := str(r.Inputs, "redrivePolicy")
	if doc == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return map[string]any{"": err.Error()}
	}
	return m
}

// maxReceiveCount is a redrive policy's maxReceiveCount, a number or a
// numeric string as SQS takes it.
func maxReceiveCount(m map[string]any) (float64, bool) {
	switch v := m["maxReceiveCount"].(type) {
	case float64:
		return v, true
	case string:
		var f float64
		if _, err := fmt.Sscan(v, &f); err == nil {
			return f, true
		}
	}
	return 0, false
}

// sqsDefaultRetention is SQS's retention when a queue sets none: 4 days.
const sqsDefaultRetention = 345600

// queueRetention is a queue's MessageRetentionPeriod, SQS's default when unset.
func queueRetention(r subject) float64 {
	if f, ok := num(r.in("messageRetentionSeconds")); ok {
		return f
	}
	return sqsDefaultRetention
}

// deadLetterQueue is the planned queue a redrive policy's target ARN
// names: by the ARN, else by its name among the queues of its Region.
func deadLetterQueue(ix *index, arn string) (subject, bool) {
	if q, ok := ix.lookup(arn); ok && q.Type == typeQueue {
		return q, true
	}
	name := arn[strings.LastIndexByte(arn, ':')+1:]
	for _, q := range ix.ofType(typeQueue) {
		if q.name("name") == name && q.Region == arnRegion(arn) {
			return q, true
		}
	}
	return subject{}, false
}

// cloudfrontFailoverCodes are the status codes an origin group may fail over on.
var cloudfrontFailoverCodes = []float64{400, 403, 404, 416, 500, 502, 503, 504}

// cloudfrontMethods are the allowed and cached method sets CloudFront accepts.
var (
	allowedMethodSets = [][]string{{"GET", "HEAD"}, {"GET", "HEAD", "OPTIONS"}, {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}}
	cachedMethodSets  = [][]string{{"GET", "HEAD"}, {"GET", "HEAD", "OPTIONS"}}
)

// methodSet reports whether methods, in any order, are one of sets.
func methodSet(methods []string, sets [][]string) bool {
	m := slices.Sorted(slices.Values(methods))
	for _, s := range sets {
		if slices.Equal(m, s) {
			return true
		}
	}
	return false
}

// distributionBehaviors are a distribution's cache behaviours, the
// default one first, each with where it sits in the inputs.
func distributionBehaviors(r subject) (paths []string, behaviors []map[string]any) {
	if d := obj(r.in("defaultCacheBehavior")); d != nil {
		paths, behaviors = append(paths, "defaultCacheBehavior"), append(behaviors, d)
	}
	for i, b := range list(r.in("orderedCacheBehaviors")) {
		paths, behaviors = append(paths, fmt.Sprintf("orderedCacheBehaviors.%d", i)), append(behaviors, obj(b))
	}
	return paths, behaviors
}

var degradeRules = []Rule{{
	ID:      "sqs-queue-name",
	Summary: "a queue's name has 1-80 letters, digits, hyphens and underscores; a FIFO queue's, and only a FIFO queue's, ends in .fifo",
	Source:  "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
	Types:   []string{typeQueue},
	check: func(_ *index, r subject) []string {
		name := r.name("name")
		out := msgs(nameRule("queue name", name, 1, 80, sqsQueueNameRE, "only letters, digits, hyphens and underscores"))
		if fifo := truthy(r.in("fifoQueue")); name != "" && fifo != strings.HasSuffix(name, ".fifo") {
			out = append(out, fmt.Sprintf("queue %q: a FIFO queue's name, and only a FIFO queue's, ends in .fifo", name))
		}
		return out
	},
}, {
	ID:      "sqs-queue-attributes",
	Summary: "a queue keeps messages 60-1209600 s, hides a received one 0-43200 s, delays 0-900 s and long-polls 0-20 s; its redrive policy's maxReceiveCount is 1-1000",
	Source:  "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html",
	Types:   []string{typeQueue},
	check: func(_ *index, r subject) []string {
		out := msgs(
			inRange("messageRetentionSeconds", r.in("messageRetentionSeconds"), 60, 1209600),
			inRange("visibilityTimeoutSeconds", r.in("visibilityTimeoutSeconds"), 0, 43200),
			inRange("delaySeconds", r.in("delaySeconds"), 0, 900),
			inRange("receiveWaitTimeSeconds", r.in("receiveWaitTimeSeconds"), 0, 20),
		)
		if rp := redrivePolicy(r); rp != nil {
			if e, bad := rp[""]; bad {
				return append(out, fmt.Sprintf("redrivePolicy is not JSON: %v", e))
			}
			n, ok := maxReceiveCount(rp)
			switch {
			case !ok:
				out = append(out, "redrivePolicy has no maxReceiveCount")
			default:
				out = append(out, msgs(inRange("redrivePolicy's maxReceiveCount", n, 1, 1000))...)
			}
			if s, _ := rp["deadLetterTargetArn"].(string); s == "" {
				out = append(out, "redrivePolicy has no deadLetterTargetArn")
			}
		}
		return out
	},
}, {
	ID:      "sqs-dead-letter-queue",
	Summary: "a dead-letter queue is of the source queue's type (standard or FIFO) and keeps messages at least as long as the source queue does, as a message's expiry counts from its first enqueue",
	Source:  "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html",
	Types:   []string{typeQueue},
	check: func(ix *index, r subject) []string {
		rp := redrivePolicy(r)
		arn, _ := rp["deadLetterTargetArn"].(string)
		if arn == "" {
			return nil
		}
		dlq, ok := deadLetterQueue(ix, arn)
		if !ok {
			return nil
		}
		var out []string
		if truthy(r.in("fifoQueue")) != truthy(dlq.in("fifoQueue")) {
			out = append(out, fmt.Sprintf("dead-letter queue %s is not of the source queue's type (standard or FIFO)", dlq.name("name")))
		}
		if src, dead := queueRetention(r), queueRetention(dlq); dead < src {
			out = append(out, fmt.Sprintf("dead-letter queue %s keeps messages %s s, less than the source queue's %s s: a moved message expires early", dlq.name("name"), fmtNum(dead), fmtNum(src)))
		}
		return out
	},
}, {
	ID:      "cloudfront-origin-group",
	Summary: "an origin group has exactly two members, origins of its distribution, and fails over on status codes among 400, 403, 404, 416, 500, 502, 503 and 504",
	Source:  "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html",
	Types:   []string{typeDistribution},
	check: func(_ *index, r subject) []string {
		origins := map[string]bool{}
		for _, o := range list(r.in("origins")) {
			origins[str(obj(o), "originId")] = true
		}
		var out []string
		for i, g := range list(r.in("originGroups")) {
			g := obj(g)
			members := list(g["members"])
			if len(members) != 2 {
				out = append(out, fmt.Sprintf("originGroups.%d has %d members; an origin group has exactly 2", i, len(members)))
			}
			for j, m := range members {
				if id := str(obj(m), "originId"); id != "" && !origins[id] {
					out = append(out, fmt.Sprintf("originGroups.%d.members.%d names origin %q, not an origin of the distribution", i, j, id))
				}
			}
			codes := list(get(g, "failoverCriteria", "statusCodes"))
			if len(codes) == 0 {
				out = append(out, fmt.Sprintf("originGroups.%d has no failover status codes", i))
			}
			for _, c := range codes {
				if f, ok := num(c); ok && !slices.Contains(cloudfrontFailoverCodes, f) {
					out = append(out, fmt.Sprintf("originGroups.%d fails over on %s; CloudFront fails over on 400, 403, 404, 416, 500, 502, 503 or 504", i, fmtNum(f)))
				}
			}
		}
		return out
	},
}, {
	ID:      "cloudfront-cache-behavior",
	Summary: "a cache behaviour targets an origin or origin group of its distribution, allows GET and HEAD (with OPTIONS, or every method) and caches GET and HEAD (with OPTIONS); one targeting an origin group allows only GET, HEAD and OPTIONS; a path pattern has at most 255 characters",
	Source:  "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CacheBehavior.html",
	Types:   []string{typeDistribution},
	check: func(_ *index, r subject) []string {
		origins, groups := map[string]bool{}, map[string]bool{}
		for _, o := range list(r.in("origins")) {
			origins[str(obj(o), "originId")] = true
		}
		for _, g := range list(r.in("originGroups")) {
			groups[str(obj(g), "originId")] = true
		}
		var out []string
		paths, behaviors := distributionBehaviors(r)
		for i, b := range behaviors {
			where := paths[i]
			target := str(b, "targetOriginId")
			if target != "" && !origins[target] && !groups[target] {
				out = append(out, fmt.Sprintf("%s targets %q, neither an origin nor an origin group of the distribution", where, target))
			}
			allowed, cached := strs(b["allowedMethods"]), strs(b["cachedMethods"])
			if len(allowed) > 0 && !methodSet(allowed, allowedMethodSets) {
				out = append(out, fmt.Sprintf("%s allows %v; CloudFront allows GET and HEAD, with OPTIONS, or every method", where, allowed))
			}
			if len(cached) > 0 && !methodSet(cached, cachedMethodSets) {
				out = append(out, fmt.Sprintf("%s caches %v; CloudFront caches GET and HEAD, with OPTIONS", where, cached))
			}
			if groups[target] && len(allowed) > 0 && !methodSet(allowed, allowedMethodSets[:2]) {
				out = append(out, fmt.Sprintf("%s sends %v to origin group %q, which takes only GET, HEAD and OPTIONS", where, allowed, target))
			}
			if p := str(b, "pathPattern"); len(p) > 255 {
				out = append(out, fmt.Sprintf("%s's path pattern has %d characters; at most 255", where, len(p)))
			}
		}
		return out
	},
}, {
	ID:      "cloudfront-cache-policy",
	Summary: "a cache policy's TTLs are ordered: minimum, default, maximum",
	Source:  "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html",
	Types:   []string{typeCachePolicy},
	check: func(_ *index, r subject) []string {
		lo, lok := num(r.in("minTtl"))
		def, dok := num(r.in("defaultTtl"))
		hi, hok := num(r.in("maxTtl"))
		var out []string
		if lok && lo < 0 {
			out = append(out, fmt.Sprintf("minTtl is %s; at least 0", fmtNum(lo)))
		}
		if lok && dok && def < lo {
			out = append(out, fmt.Sprintf("defaultTtl %s is below minTtl %s", fmtNum(def), fmtNum(lo)))
		}
		if dok && hok && hi < def {
			out = append(out, fmt.Sprintf("maxTtl %s is below defaultTtl %s", fmtNum(hi), fmtNum(def)))
		}
		return out
	},
}}
