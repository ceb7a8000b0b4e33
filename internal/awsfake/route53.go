package awsfake

import (
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

// HealthCheck is a Route 53 health check of the fake.
type HealthCheck struct {
	ID, Type, FQDN, ResourcePath string
	Port                         int
	// RequestInterval is the seconds between one checker's requests, 10 or
	// 30 (default 30); FailureThreshold is how many consecutive checks must
	// fail, or pass, for a checker to change its mind, 1 to 10 (default 3)
	// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html).
	RequestInterval, FailureThreshold int
	// Inverted swaps healthy and unhealthy for routing; Disabled makes
	// Route 53 consider the check healthy whatever its checkers see.
	Inverted, Disabled bool
	Version            int64
	Tags               map[string]string

	checkers []checker
	probing  bool
}

// checker is one of Route 53's health checkers' view of a check: it
// requests the endpoint every RequestInterval at its own moments (the
// checkers "don't coordinate with one another"), and changes its verdict
// only after FailureThreshold consecutive results that disagree with it
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
// The fake spreads its checkers' moments evenly over an interval, so once
// an endpoint fails each checker turns within (FailureThreshold-1) to
// FailureThreshold intervals, and the check (healthy while more than 18%
// of its checkers say so) turns in that span too: with 10 s and 3, between
// 20 and 30 s after the endpoint does, and back the same way.
type checker struct {
	region  string
	healthy bool      // its verdict
	streak  int       // consecutive results against the verdict
	next    time.Time // its next request
	last    bool      // what its latest request saw
	lastAt  time.Time
}

// Record is one record set of a failover or latency routing policy: the
// answer Values while its health check is healthy.
type Record struct {
	Name, SetIdentifier string
	Failover            string // PRIMARY or SECONDARY; empty for latency records
	HealthCheckID       string
	Values              []string
}

// checkerRegions are where Route 53's health checkers check from when a
// check names no regions: every region HealthCheckRegion lists
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html).
// The fake runs one checker in each.
var checkerRegions = []string{"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}

// healthyShare is the share of checkers that must see an endpoint healthy,
// strictly more than which Route 53 considers it healthy: 18%
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
const healthyShare = 0.18

// AddHealthCheck creates a health check and returns its ID. Its checkers
// start from what they see of the endpoint now, as if it had been so for
// long; from then on they check it on their own, every RequestInterval.
func (c *Cloud) AddHealthCheck(h HealthCheck) string {
	if h.ID == "" {
		h.ID = newUUID()
	}
	if h.Version == 0 {
		h.Version = 1
	}
	if h.Tags == nil {
		h.Tags = map[string]string{}
	}
	if h.RequestInterval == 0 {
		h.RequestInterval = 30
	}
	if h.FailureThreshold == 0 {
		h.FailureThreshold = 3
	}
	if h.RequestInterval != 10 && h.RequestInterval != 30 || h.FailureThreshold < 1 || h.FailureThreshold > 10 {
		panic(fmt.Sprintf("awsfake: health check %s: RequestInterval must be 10 or 30 and FailureThreshold 1 to 10, as Route 53 allows", h.ID))
	}
	c.mu.Lock()
	check := c.checker()
	c.mu.Unlock()
	up := check(h) // without the lock: the endpoint may be a test's server that asks the fake something
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	interval := time.Duration(h.RequestInterval) * time.Second
	for k, r := range checkerRegions {
		// spread over an interval: checkers in different places do not coordinate
		h.checkers = append(h.checkers, checker{region: r, healthy: up, last: up, lastAt: now,
			next: now.Add(interval * time.Duration(k+1) / time.Duration(len(checkerRegions)))})
	}
	c.checks[h.ID] = &h
	c.startCheckers()
	return h.ID
}

// HealthCheck returns a copy of a health check.
func (c *Cloud) HealthCheck(id string) (HealthCheck, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.checks[id]
	if !ok {
		return HealthCheck{}, false
	}
	out := *h
	out.checkers = slices.Clone(h.checkers)
	return out, true
}

// Healthy is the check's status as Route 53 has determined it from its
// checkers (more than 18% of them see the endpoint healthy), before any
// inversion.
func (h HealthCheck) Healthy() bool {
	if h.Disabled {
		return true
	}
	n := 0
	for _, k := range h.checkers {
		if k.healthy {
			n++
		}
	}
	return float64(n) > healthyShare*float64(len(h.checkers))
}

// AddRecord adds a record set.
func (c *Cloud) AddRecord(r Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, &r)
}

func (c *Cloud) checker() func(HealthCheck) bool {
	if c.Checker != nil {
		return c.Checker
	}
	return httpCheck
}

// routable is a check's status as routing sees it: its status, inverted
// when asked. An inversion takes effect at once; what the checkers see
// takes the time they take.
func routable(h *HealthCheck) bool { return h.Healthy() != h.Inverted }

// httpCheck is a Route 53 checker's request: a TCP connection within 4 s,
// then a 2xx or 3xx answer within 2 s; HTTPS certificates are not checked
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
func httpCheck(h HealthCheck) bool {
	scheme := "http"
	if strings.HasPrefix(h.Type, "HTTPS") {
		scheme = "https"
	}
	client := &http.Client{Timeout: 6 * time.Second, Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 4 * time.Second}).DialContext,
		ResponseHeaderTimeout: 2 * time.Second,
		DisableKeepAlives:     true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // Route 53 does not validate certificates
	}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(h.FQDN, strconv.Itoa(h.Port)), h.ResourcePath))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode < 400
}

// startCheckers starts, once, the loop of the fake's health checkers: each
// round requests every check's endpoint (one request at a time per check)
// and gives what it saw to the checkers whose turn came since the last
// round. A round lasts the shortest spacing between two checkers' turns on
// the fake's clock, and at least 5 ms and at most 1 s of wall time. It
// runs until Close.
func (c *Cloud) startCheckers() {
	if c.checkersOn {
		return
	}
	c.checkersOn = true
	go func() {
		defer close(c.stopped)
		for c.background.Err() == nil {
			c.mu.Lock()
			clk, check := c.clock(), c.checker()
			spacing := 30 * time.Second
			var due []HealthCheck
			for _, id := range sortedKeys(c.checks) {
				h := c.checks[id]
				spacing = min(spacing, time.Duration(h.RequestInterval)*time.Second/time.Duration(len(checkerRegions)))
				if !h.probing && !h.Disabled {
					h.probing = true
					due = append(due, *h)
				}
			}
			c.mu.Unlock()
			for _, h := range due {
				go func() {
					up := check(h)
					c.mu.Lock()
					defer c.mu.Unlock()
					if live := c.checks[h.ID]; live != nil {
						live.probing = false
						live.observe(up, c.now())
					}
				}()
			}
			began := time.Now()
			_ = clk.Sleep(c.background, spacing)
			if rest := 5*time.Millisecond - time.Since(began); rest > 0 {
				_ = clock.Real.Sleep(c.background, rest)
			}
		}
	}()
}

// observe gives what a request saw of the endpoint to every checker whose
// turn came by now (each turn since the last sees it: the fake knows the
// endpoint only at its requests).
func (h *HealthCheck) observe(up bool, now time.Time) {
	interval := time.Duration(h.RequestInterval) * time.Second
	for k := range h.checkers {
		ck := &h.checkers[k]
		if ck.next.After(now) {
			continue
		}
		turns := int(now.Sub(ck.next)/interval) + 1
		ck.next = ck.next.Add(time.Duration(turns) * interval)
		for range min(turns, h.FailureThreshold) { // more would change nothing
			ck.last, ck.lastAt = up, now
			if up == ck.healthy {
				ck.streak = 0
				continue
			}
			if ck.streak++; ck.streak >= h.FailureThreshold {
				ck.healthy, ck.streak = up, 0
			}
		}
	}
}

// Answer is what Route 53's resolvers answer for a name, as its routing
// policies decide from the checks' status: for failover records the
// primary while its check is healthy, else the secondary; for latency
// records the first healthy one in the order added (the fake's client is
// nearest to it). When every record is unhealthy Route 53 answers as if
// all were healthy
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-complex-configs.html).
func (c *Cloud) Answer(name string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sets []*Record
	for _, r := range c.records {
		if strings.TrimSuffix(r.Name, ".") == strings.TrimSuffix(name, ".") {
			sets = append(sets, r)
		}
	}
	if len(sets) == 0 {
		return nil
	}
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].Failover == "PRIMARY" && sets[j].Failover != "PRIMARY" })
	for _, r := range sets {
		h := c.checks[r.HealthCheckID]
		if h == nil || routable(h) {
			return slices.Clone(r.Values)
		}
	}
	return slices.Clone(sets[0].Values)
}

type r53HealthCheckConfig struct {
	Type                     string `xml:"Type"`
	FullyQualifiedDomainName string `xml:"FullyQualifiedDomainName,omitempty"`
	Port                     int    `xml:"Port,omitempty"`
	ResourcePath             string `xml:"ResourcePath,omitempty"`
	RequestInterval          int    `xml:"RequestInterval"`
	FailureThreshold         int    `xml:"FailureThreshold"`
	Inverted                 bool   `xml:"Inverted"`
	Disabled                 bool   `xml:"Disabled"`
}

type r53HealthCheck struct {
	ID                 string               `xml:"Id"`
	CallerReference    string               `xml:"CallerReference"`
	Config             r53HealthCheckConfig `xml:"HealthCheckConfig"`
	HealthCheckVersion int64                `xml:"HealthCheckVersion"`
}

type r53ListHealthChecks struct {
	XMLName     xml.Name         `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListHealthChecksResponse"`
	Checks      []r53HealthCheck `xml:"HealthChecks>HealthCheck"`
	Marker      string           `xml:"Marker"`
	IsTruncated bool             `xml:"IsTruncated"`
	NextMarker  string           `xml:"NextMarker,omitempty"`
	MaxItems    int              `xml:"MaxItems"`
}

type r53TagSet struct {
	ResourceType string   `xml:"ResourceType"`
	ResourceID   string   `xml:"ResourceId"`
	Tags         []xmlTag `xml:"Tags>Tag"`
}

type r53ListTags struct {
	XMLName xml.Name    `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListTagsForResourcesResponse"`
	Sets    []r53TagSet `xml:"ResourceTagSets>ResourceTagSet"`
}

type r53StatusReport struct {
	Status      string `xml:"Status"`
	CheckedTime string `xml:"CheckedTime"`
}

type r53Observation struct {
	Region       string          `xml:"Region"`
	IPAddress    string          `xml:"IPAddress"`
	StatusReport r53StatusReport `xml:"StatusReport"`
}

type r53Status struct {
	XMLName      xml.Name         `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetHealthCheckStatusResponse"`
	Observations []r53Observation `xml:"HealthCheckObservations>HealthCheckObservation"`
}

type r53Update struct {
	XMLName     xml.Name       `xml:"https://route53.amazonaws.com/doc/2013-04-01/ UpdateHealthCheckResponse"`
	HealthCheck r53HealthCheck `xml:"HealthCheck"`
}

type r53UpdateRequest struct {
	HealthCheckVersion *int64 `xml:"HealthCheckVersion"`
	Inverted           *bool  `xml:"Inverted"`
	Disabled           *bool  `xml:"Disabled"`
	ResourcePath       *string
	Port               *int
	FailureThreshold   *int
}

type r53ListTagsRequest struct {
	ResourceIDs []string `xml:"ResourceIds>ResourceId"`
}

func (c *Cloud) route53(action string, r *http.Request, body []byte) (any, *apiError) {
	switch action {
	case "ListHealthChecks":
		// pages of maxitems (default 100; more than 1000 gets 1000), from
		// marker, the ID of the first check of the page; NextMarker names
		// the next page's first
		// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHealthChecks.html)
		maxItems := 100
		if v := r.URL.Query().Get("maxitems"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, errorf(http.StatusBadRequest, "InvalidInput", "Invalid value for parameter maxitems: %q", v)
			}
			maxItems = min(n, 1000)
		}
		size := c.pageSize(maxItems, maxItems)
		ids := sortedKeys(c.checks)
		marker := r.URL.Query().Get("marker")
		from := 0
		if marker != "" {
			if from = slices.Index(ids, marker); from < 0 {
				return nil, errorf(http.StatusBadRequest, "InvalidInput", "The marker %s is not the ID of a health check.", marker)
			}
		}
		out := r53ListHealthChecks{Marker: marker, MaxItems: maxItems, Checks: []r53HealthCheck{}}
		for _, id := range ids[from:] {
			if len(out.Checks) == size {
				out.IsTruncated, out.NextMarker = true, id
				break
			}
			out.Checks = append(out.Checks, c.checks[id].document())
		}
		return out, nil
	case "ListTagsForResources":
		var req r53ListTagsRequest
		if err := xml.Unmarshal(body, &req); err != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidInput", "%v", err)
		}
		if rt := strings.TrimPrefix(r.URL.Path, "/2013-04-01/tags/"); rt != "healthcheck" {
			return nil, errorf(http.StatusBadRequest, "InvalidInput", "The fake tags health checks only, not %s.", rt)
		}
		if len(req.ResourceIDs) == 0 || len(req.ResourceIDs) > 10 {
			return nil, errorf(http.StatusBadRequest, "InvalidInput", "1 to 10 ResourceIds are allowed, not %d", len(req.ResourceIDs))
		}
		out := r53ListTags{}
		for _, id := range req.ResourceIDs {
			h := c.checks[id]
			if h == nil {
				return nil, errorf(http.StatusNotFound, "NoSuchHealthCheck", "A health check with id %s does not exist.", id)
			}
			set := r53TagSet{ResourceType: "healthcheck", ResourceID: id}
			for _, k := range sortedKeys(h.Tags) {
				set.Tags = append(set.Tags, xmlTag{Key: k, Value: h.Tags[k]})
			}
			out.Sets = append(out.Sets, set)
		}
		return out, nil
	case "GetHealthCheckStatus":
		// each checker's latest observation of the endpoint (what it saw,
		// not its verdict); inversion applies to routing only
		// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html)
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2013-04-01/healthcheck/"), "/status")
		h := c.checks[id]
		if h == nil {
			return nil, errorf(http.StatusNotFound, "NoSuchHealthCheck", "A health check with id %s does not exist.", id)
		}
		out := r53Status{}
		for i, k := range h.checkers {
			status := "Success: HTTP Status Code 200, OK"
			if !k.last {
				status = "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall."
			}
			out.Observations = append(out.Observations, r53Observation{Region: k.region, IPAddress: fmt.Sprintf("15.177.%d.%d", i, 10+i),
				StatusReport: r53StatusReport{Status: status, CheckedTime: queryTime(k.lastAt)}})
		}
		return out, nil
	case "UpdateHealthCheck":
		id := strings.TrimPrefix(r.URL.Path, "/2013-04-01/healthcheck/")
		h := c.checks[id]
		if h == nil {
			return nil, errorf(http.StatusNotFound, "NoSuchHealthCheck", "A health check with id %s does not exist.", id)
		}
		var req r53UpdateRequest
		if err := xml.Unmarshal(body, &req); err != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidInput", "%v", err)
		}
		if req.HealthCheckVersion != nil && *req.HealthCheckVersion != h.Version {
			return nil, errorf(http.StatusConflict, "HealthCheckVersionMismatch", "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the health check (%d).", h.Version)
		}
		if req.FailureThreshold != nil && (*req.FailureThreshold < 1 || *req.FailureThreshold > 10) {
			return nil, errorf(http.StatusBadRequest, "InvalidInput", "FailureThreshold must be between 1 and 10, not %d", *req.FailureThreshold)
		}
		if req.Port != nil && (*req.Port < 1 || *req.Port > 65535) {
			return nil, errorf(http.StatusBadRequest, "InvalidInput", "Port must be between 1 and 65535, not %d", *req.Port)
		}
		if req.Inverted != nil {
			h.Inverted = *req.Inverted
		}
		if req.Disabled != nil {
			h.Disabled = *req.Disabled
		}
		if req.ResourcePath != nil {
			h.ResourcePath = *req.ResourcePath
		}
		if req.Port != nil {
			h.Port = *req.Port
		}
		if req.FailureThreshold != nil {
			h.FailureThreshold = *req.FailureThreshold
		}
		h.Version++
		return r53Update{HealthCheck: h.document()}, nil
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "The fake does not serve %s.", action)
}

func (h *HealthCheck) document() r53HealthCheck {
	return r53HealthCheck{ID: h.ID, CallerReference: "bulwark-" + h.ID, HealthCheckVersion: h.Version, Config: r53HealthCheckConfig{
		Type: h.Type, FullyQualifiedDomainName: h.FQDN, Port: h.Port, ResourcePath: h.ResourcePath, RequestInterval: h.RequestInterval,
		FailureThreshold: h.FailureThreshold, Inverted: h.Inverted, Disabled: h.Disabled,
	}}
}
