package topology

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

var (
	writeQueueSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "paths", Required: true}, {Name: "max_age"}, {Name: "keep"}, {Name: "max_receives"},
	}}
	cacheSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "paths", Required: true}, {Name: "ttl"}, {Name: "stale_for"},
	}}
)

// writeQueue reads a service's write_queue block. The service's database
// block is read before it: a queue with no database to drain into would
// take writes that are never written.
func (d *decoder) writeQueue(b *hcl.Block, s Service) *WriteQueue {
	q := &WriteQueue{DeclRange: b.DefRange}
	if s.Database == nil {
		d.errorf(b.DefRange.Ptr(), "Write queue without a database", "A write queue drains into the service's database; service %q has none. Add a database block or remove the write_queue.", s.Name)
	}
	c := d.content(b.Body, writeQueueSchema)
	q.Paths, _ = d.routePaths(c.Attributes, "write queue")

	var ageRange, keepRange, rng *hcl.Range
	q.MaxAge, ageRange = d.duration(c.Attributes, "max_age", DefaultQueueMaxAge)
	q.Keep, keepRange = d.duration(c.Attributes, "keep", DefaultQueueKeep)
	// SQS counts retention, and CloudWatch the oldest message's age, in
	// seconds
	ageOK := d.wholeSeconds(ageRange, "max_age", q.MaxAge, time.Second, 0) // and shorter than keep, below
	keepOK := d.wholeSeconds(keepRange, "keep", q.Keep, MinQueueKeep, MaxQueueKeep)
	if ageOK && keepOK && q.MaxAge >= q.Keep {
		// an alarm on an age no queued write reaches (it is dropped first)
		// would never sound
		at, detail := ageRange, fmt.Sprintf("max_age (%s) must be shorter than keep (%s): a write is dropped at keep, so an alarm at max_age would never sound.", fileDuration(q.MaxAge), fileDuration(q.Keep))
		if at == nil {
			at, detail = keepRange, fmt.Sprintf("keep (%s) must be longer than max_age (%s, its default): a write is dropped at keep, so an alarm at max_age would never sound.", fileDuration(q.Keep), fileDuration(q.MaxAge))
		}
		d.errorf(at, "Queued writes dropped before the alarm", "%s", detail)
	}
	if q.MaxReceives, rng = d.integer(c.Attributes, "max_receives", DefaultQueueMaxReceives); rng != nil && (q.MaxReceives < 1 || q.MaxReceives > MaxQueueMaxReceives) {
		d.errorf(rng, "Invalid max_receives", "max_receives is how often a write is tried before it moves to the dead-letter queue: between 1 and %d, not %d.", MaxQueueMaxReceives, q.MaxReceives)
	}
	return q
}

// cache reads a service's cache block. The health check and the write
// queue are read before it: a cache must stand in front of neither.
func (d *decoder) cache(b *hcl.Block, s Service) *Cache {
	ch := &Cache{DeclRange: b.DefRange}
	c := d.content(b.Body, cacheSchema)
	var ranges []*hcl.Range
	ch.Paths, ranges = d.routePaths(c.Attributes, "cache")
	// The health check path is compared without its query: the cache
	// routes by path alone.
	health, _, _ := strings.Cut(s.Health.Path, "?")
	for i, p := range ch.Paths {
		if contract.PathCovers(p, health) {
			d.errorf(ranges[i], "Cache on the health check", "Cache path %q covers the health check path %q: a cached health check answers while the service fails, and hides the failure from the load balancers and DNS.", p, s.Health.Path)
		}
		if s.WriteQueue == nil {
			continue
		}
		for _, w := range s.WriteQueue.Paths {
			if contract.PathCovers(p, w) || contract.PathCovers(w, p) {
				d.errorf(ranges[i], "Cache on a write path", "Cache path %q overlaps the write queue's path %q: a cached answer to a write would say it was taken when it was not. Cache read-only paths only.", p, w)
			}
		}
	}
	var rng *hcl.Range
	ch.TTL, rng = d.duration(c.Attributes, "ttl", DefaultCacheTTL)
	d.wholeSeconds(rng, "ttl", ch.TTL, time.Second, MaxCacheAge)
	ch.StaleFor, rng = d.duration(c.Attributes, "stale_for", DefaultCacheStaleFor)
	d.wholeSeconds(rng, "stale_for", ch.StaleFor, 0, MaxCacheAge)
	return ch
}

// wholeSeconds reports a duration attribute that is not a whole number of
// seconds of at least lo and, when hi is not 0, at most hi; it says
// whether the value is usable. The programs a queue's and a cache's
// durations reach (SQS, CloudWatch, Cache-Control, CloudFront) count
// seconds, and would cut a fraction off without a word.
func (d *decoder) wholeSeconds(rng *hcl.Range, name string, v, lo, hi time.Duration) bool {
	if rng == nil {
		return true // the default, or a value already reported
	}
	switch {
	case hi == 0 && (v%time.Second != 0 || v < lo):
		d.errorf(rng, "Invalid "+name, "%s is a whole number of seconds, at least %s, not %s.", name, fileDuration(lo), fileDuration(v))
	case hi != 0 && (v%time.Second != 0 || v < lo || v > hi):
		d.errorf(rng, "Invalid "+name, "%s is a whole number of seconds between %s and %s, not %s.", name, fileDuration(lo), fileDuration(hi), fileDuration(v))
	default:
		return true
	}
	return false
}

// fileDuration writes a duration as a file would ("14d", "1h30m",
// "500ms"), which ParseDuration reads back.
func fileDuration(v time.Duration) string {
	if v == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}} {
		if v >= u.size {
			fmt.Fprintf(&b, "%d%s", v/u.size, u.name)
			v %= u.size
		}
	}
	if v > 0 {
		b.WriteString(v.String()) // below a millisecond: Go's own units
	}
	return b.String()
}

// routePaths reads a write queue's or a cache's paths: at least one path
// prefix, each one that contract.CheckRoutePath accepts, in normal form,
// and none covering another of the list. It returns each path's own range
// (the element's, when the list is written literally) beside it.
func (d *decoder) routePaths(attrs hcl.Attributes, what string) ([]string, []*hcl.Range) {
	list, rng := d.strList(attrs, "paths")
	if rng == nil {
		return nil, nil // missing (HCL says so) or not a list of strings
	}
	if len(list) == 0 {
		d.errorf(rng, "No "+what+" paths", "paths lists the path prefixes the %s is for, at least one, such as [\"/catalog\"].", what)
		return nil, nil
	}
	ranges := make([]*hcl.Range, len(list))
	for i := range ranges {
		ranges[i] = rng
	}
	if exprs, diags := hcl.ExprList(attrs["paths"].Expr); !diags.HasErrors() && len(exprs) == len(list) {
		for i, e := range exprs {
			ranges[i] = e.Range().Ptr()
		}
	}
	var paths []string
	var kept []*hcl.Range
	for i, p := range list {
		// the paths are written into nginx's locations and CloudFront's
		// path patterns on the cache's side, the sample service's routes
		// on the queue's
		if err := contract.CheckRoutePath(p); err != nil {
			d.errorf(ranges[i], "Invalid "+what+" path", "paths: %v.", err)
			continue
		}
		if err := normalPath(p); err != nil {
			d.errorf(ranges[i], "Invalid "+what+" path", "paths: %v.", err)
			continue
		}
		if j := slices.IndexFunc(paths, func(o string) bool { return contract.PathCovers(o, p) || contract.PathCovers(p, o) }); j >= 0 {
			if paths[j] == p {
				d.errorf(ranges[i], "Duplicate "+what+" path", "paths lists %q twice.", p)
			} else {
				d.errorf(ranges[i], "Overlapping "+what+" paths", "paths lists %q and %q, one of which covers the other; list the shorter prefix alone.", paths[j], p)
			}
			continue
		}
		paths = append(paths, p)
		kept = append(kept, ranges[i])
	}
	return paths, kept
}

// normalPath says why a path prefix could never match a request (nil when
// it can): clients, nginx and CloudFront resolve "." and ".." segments and
// nginx merges repeated slashes before routing, so a prefix holding them,
// plainly or %XX-escaped, would be declared and never used.
func normalPath(p string) error {
	decoded, err := url.PathUnescape(p)
	if err != nil {
		return fmt.Errorf("%q: %w", clip(p), err)
	}
	if decoded == "/" {
		return nil
	}
	for _, seg := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(decoded, "/"), "/"), "/") {
		switch seg {
		case ".", "..":
			return fmt.Errorf("%q holds a %q segment, which requests never do once resolved: it would match nothing", clip(p), seg)
		case "":
			return fmt.Errorf("%q holds an empty segment (//), which requests never do once their slashes are merged: it would match nothing", clip(p))
		}
	}
	return nil
}

// checkQueuedWrites reports a dependency whose on_failure queues writes
// in a service without a write queue: nothing would keep the writes, so
// they would be lost while the file says they are kept.
func (d *decoder) checkQueuedWrites(s Service, onFailure []*hcl.Range) {
	if s.WriteQueue != nil {
		return
	}
	for i, dep := range s.Dependencies {
		if dep.OnFailure != QueueWrites {
			continue
		}
		at := onFailure[i]
		if at == nil {
			at = dep.DeclRange.Ptr()
		}
		d.errorf(at, "Queued writes without a write queue", `Service %q queues its writes when %s fails, but has no write_queue block to keep them in: add write_queue { paths = ["/..."] } (and a database for it to drain into), or choose another on_failure.`, s.Name, dep.On)
	}
}
