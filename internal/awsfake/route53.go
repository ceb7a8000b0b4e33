package awsfake

import (
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// HealthCheck is a Route 53 health check of the fake.
type HealthCheck struct {
	ID, Type, FQDN, ResourcePath string
	Port                         int
	Inverted                     bool
	Version                      int64
	Tags                         map[string]string
}

// Record is one record set of a failover or latency routing policy: the
// answer Values while its health check is healthy.
type Record struct {
	Name, SetIdentifier string
	Failover            string // PRIMARY or SECONDARY; empty for latency records
	HealthCheckID       string
	Values              []string
}

// checkerRegions are where Route 53's health checkers report from.
var checkerRegions = []string{"us-east-1", "us-west-2", "eu-west-1"}

// AddHealthCheck creates a health check and returns its ID.
func (c *Cloud) AddHealthCheck(h HealthCheck) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h.ID == "" {
		h.ID = newUUID()
	}
	if h.Version == 0 {
		h.Version = 1
	}
	if h.Tags == nil {
		h.Tags = map[string]string{}
	}
	c.checks[h.ID] = &h
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
	return *h, true
}

// AddRecord adds a record set.
func (c *Cloud) AddRecord(r Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, &r)
}

// healthy is a check's status as routing sees it: the checker's result, inverted when asked.
func (c *Cloud) healthy(h *HealthCheck) bool {
	check := c.Checker
	if check == nil {
		check = httpCheck
	}
	return check(*h) != h.Inverted
}

// httpCheck is a Route 53 checker: a GET of the path within 2 s; a 2xx or
// 3xx answer is healthy.
func httpCheck(h HealthCheck) bool {
	scheme := "http"
	if strings.HasPrefix(h.Type, "HTTPS") {
		scheme = "https"
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // Route 53 does not validate certificates
	}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(h.FQDN, strconv.Itoa(h.Port)), h.ResourcePath))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode < 400
}

// Answer is what Route 53's resolvers answer for a name, as its routing
// policies decide: for failover records the primary while its check is
// healthy, else the secondary; for latency records the first healthy one
// in the order added (the fake's client is nearest to it). When every
// record is unhealthy Route 53 answers as if all were healthy.
func (c *Cloud) Answer(name string) []string {
	c.mu.Lock()
	var sets []*Record
	for _, r := range c.records {
		if strings.TrimSuffix(r.Name, ".") == strings.TrimSuffix(name, ".") {
			sets = append(sets, r)
		}
	}
	checks := map[string]*HealthCheck{}
	for _, r := range sets {
		if h := c.checks[r.HealthCheckID]; h != nil {
			hc := *h
			checks[r.HealthCheckID] = &hc
		}
	}
	c.mu.Unlock()
	if len(sets) == 0 {
		return nil
	}
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].Failover == "PRIMARY" && sets[j].Failover != "PRIMARY" })
	for _, r := range sets {
		h := checks[r.HealthCheckID]
		if h == nil || c.healthy(h) {
			return r.Values
		}
	}
	return sets[0].Values
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
}

type r53ListTagsRequest struct {
	ResourceIDs []string `xml:"ResourceIds>ResourceId"`
}

func (c *Cloud) route53(action string, r *http.Request, body []byte) (any, *apiError) {
	switch action {
	case "ListHealthChecks":
		maxItems := 100
		if v := r.URL.Query().Get("maxitems"); v != "" {
			maxItems, _ = strconv.Atoi(v)
			if maxItems < 1 || maxItems > 1000 {
				return nil, errorf(http.StatusBadRequest, "InvalidInput", "maxitems must be between 1 and 1000")
			}
		}
		ids := sortedKeys(c.checks)
		marker := r.URL.Query().Get("marker")
		out := r53ListHealthChecks{Marker: marker, MaxItems: maxItems}
		for _, id := range ids {
			if marker != "" && id < marker {
				continue
			}
			if len(out.Checks) == maxItems {
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
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2013-04-01/healthcheck/"), "/status")
		h := c.checks[id]
		if h == nil {
			return nil, errorf(http.StatusNotFound, "NoSuchHealthCheck", "A health check with id %s does not exist.", id)
		}
		check := c.Checker
		if check == nil {
			check = httpCheck
		}
		// the checkers report what they saw of the endpoint; inversion
		// applies to routing. They probe without the fake's lock: the
		// endpoint may be a test's server that asks the fake something.
		hc := *h
		c.mu.Unlock()
		up := check(hc)
		c.mu.Lock()
		status := "Success: HTTP Status Code 200, OK"
		if !up {
			status = "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall."
		}
		out := r53Status{}
		for i, region := range checkerRegions {
			out.Observations = append(out.Observations, r53Observation{Region: region, IPAddress: fmt.Sprintf("15.177.%d.%d", i, 10+i),
				StatusReport: r53StatusReport{Status: status, CheckedTime: queryTime(time.Now())}})
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
		if req.Inverted != nil {
			h.Inverted = *req.Inverted
		}
		if req.ResourcePath != nil {
			h.ResourcePath = *req.ResourcePath
		}
		if req.Port != nil {
			h.Port = *req.Port
		}
		h.Version++
		return r53Update{HealthCheck: h.document()}, nil
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "The fake does not serve %s.", action)
}

func (h *HealthCheck) document() r53HealthCheck {
	return r53HealthCheck{ID: h.ID, CallerReference: "bulwark-" + h.ID, HealthCheckVersion: h.Version, Config: r53HealthCheckConfig{
		Type: h.Type, FullyQualifiedDomainName: h.FQDN, Port: h.Port, ResourcePath: h.ResourcePath, RequestInterval: 10, FailureThreshold: 3, Inverted: h.Inverted,
	}}
}
