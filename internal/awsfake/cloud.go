package awsfake

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

// Cloud is a fake of the AWS control-plane APIs a disaster-recovery drill
// calls, one account over every region, on one loopback endpoint:
//
//   - Auto Scaling (Query protocol): groups, their instances and suspended
//     processes;
//   - RDS (Query protocol): Aurora global clusters, failover and switchover,
//     the clusters a restore creates and their DB instances (rds.go), and
//     the RDS Data API on them (REST-JSON, rdsdata.go);
//   - Route 53 (REST-XML): health checks, their tags, status and inversion,
//     and the answers of failover and latency records;
//   - AWS Backup (REST-JSON): recovery points per vault and restore jobs;
//   - FIS (REST-JSON): experiments started from templates;
//   - Elastic Load Balancing v2 (Query protocol): target groups, their tags
//     and their targets' health;
//   - CloudWatch (Smithy RPC v2 CBOR): alarms, and GetMetricData over
//     datapoints put with PutDatapoint.
//
// The service a request is for comes from its SigV4 credential scope, the
// region too: every store is per region, and a resource asked for at
// another region's endpoint is not found, as on AWS. Route 53 is global
// and takes requests signed for us-east-1 only.
//
// State moves with time on Clock, as AWS's does (see Timings), never per
// call: a client's waiter runs as it would against AWS, and a test
// compresses AWS's minutes with a scaled clock. Lists come in pages of
// AWS's default and maximum sizes (PageSize makes them smaller).
type Cloud struct {
	// Clock is the time the fake's state moves with; nil is the wall
	// clock. Tests give a clock.NewScaled so AWS's minutes pass in
	// milliseconds; set it before adding resources.
	Clock clock.Clock
	// Timings are how long AWS takes to move each resource on; zero fields
	// take DefaultTimings.
	Timings Timings
	// PageSize, when positive, caps the items of every page a list or
	// describe call answers, below AWS's default and maximum, so a test can
	// make a few resources span several pages.
	PageSize int
	// Checker decides what one Route 53 health checker sees of a check's
	// endpoint (before Inverted); by default an HTTP(S) GET of the check's
	// address, as Route 53's checkers do. The fake's checkers call it on
	// their own, every request interval, without the fake's lock.
	Checker func(HealthCheck) bool

	mu           sync.Mutex
	groups       map[string]map[string]*Group // region -> name
	checks       map[string]*HealthCheck      // Route 53 is global
	records      []*Record
	globals      map[string]*GlobalCluster
	clusters     map[string]map[string]*DBCluster // region -> identifier
	vaults       map[string]map[string]bool       // region -> vault name
	points       []*RecoveryPoint
	restores     map[string]*RestoreJob
	templates    map[string]map[string]*ExperimentTemplate // region -> ID
	experiments  map[string]map[string]*Experiment         // region -> ID
	targetGroups map[string][]*TargetGroup                 // region -> groups, in creation order
	targetHealth map[string]map[string]string              // region -> instance ID -> a health marked by SetTargetHealth
	metrics      map[string][]Datapoint                    // region -> datapoints
	alarms       map[string]map[string]Alarm               // region -> name
	secrets      map[string]map[string]*Secret             // region -> name (secretsmanager.go)
	throttle     map[string]int
	calls        []string
	server       *httptest.Server
	// the health checkers' loop, started with the first check
	checkersOn bool
	stop       context.CancelFunc
	stopped    chan struct{}
	background context.Context
}

// NewCloud starts the fake on a loopback port. Close stops it.
func NewCloud() *Cloud {
	c := &Cloud{
		groups: map[string]map[string]*Group{}, checks: map[string]*HealthCheck{}, globals: map[string]*GlobalCluster{},
		clusters: map[string]map[string]*DBCluster{}, vaults: map[string]map[string]bool{}, restores: map[string]*RestoreJob{},
		templates: map[string]map[string]*ExperimentTemplate{}, experiments: map[string]map[string]*Experiment{},
		targetGroups: map[string][]*TargetGroup{}, targetHealth: map[string]map[string]string{}, metrics: map[string][]Datapoint{},
		throttle: map[string]int{}, alarms: map[string]map[string]Alarm{}, stopped: make(chan struct{}),
	}
	c.background, c.stop = context.WithCancel(context.Background())
	c.server = serveOnLoopback(c)
	return c
}

// URL is the endpoint to give every client (Options.BaseEndpoint).
func (c *Cloud) URL() string { return c.server.URL }

// Close stops the server and the fake's background work (its health
// checkers, its experiments' timers).
func (c *Cloud) Close() {
	c.stop()
	c.mu.Lock()
	on := c.checkersOn
	c.mu.Unlock()
	if on {
		<-c.stopped
	}
	c.server.Close()
}

// now is the time on the fake's clock.
func (c *Cloud) now() time.Time { return clock.OrReal(c.Clock).Now() }

// clock is the fake's clock, the wall clock when none is set.
func (c *Cloud) clock() clock.Clock { return clock.OrReal(c.Clock) }

// timings are the fake's Timings with defaults filled in.
func (c *Cloud) timings() Timings { return c.Timings.or() }

// pageSize is the page size a request gets: what it asked for (def when
// it asked for nothing), capped by the fake's PageSize.
func (c *Cloud) pageSize(asked, def int) int {
	n := def
	if asked > 0 {
		n = asked
	}
	if c.PageSize > 0 {
		n = min(n, c.PageSize)
	}
	return n
}

// Throttle makes the next n requests to a service ("autoscaling", "rds",
// "route53", "backup", "fis", "elasticloadbalancing", "monitoring",
// "secretsmanager": the SigV4 signing names) fail with the service's
// throttling error, as AWS does when a caller exceeds its request rate.
func (c *Cloud) Throttle(service string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.throttle[service] = n
}

// Calls lists the requests served, as "service Action region", throttled ones included.
func (c *Cloud) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// signedScope finds the region and service in a SigV4 Authorization header.
var signedScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

// protocol is how a service encodes its answers and errors.
type protocol int

const (
	awsQuery protocol = iota
	restXML
	restJSON
	rpcCBOR
	awsJSON // JSON 1.1 with the action in X-Amz-Target
)

var services = map[string]struct {
	protocol  protocol
	namespace string // XML namespace, or API version for Query
	version   string
}{
	"autoscaling": {awsQuery, "http://autoscaling.amazonaws.com/doc/2011-01-01/", "2011-01-01"},
	"rds":         {awsQuery, "http://rds.amazonaws.com/doc/2014-10-31/", "2014-10-31"},
	"route53":     {restXML, "https://route53.amazonaws.com/doc/2013-04-01/", ""},
	"backup":      {restJSON, "", ""},
	"fis":         {restJSON, "", ""},
	// the SigV4 signing names of Elastic Load Balancing and CloudWatch
	"elasticloadbalancing": {awsQuery, "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/", "2015-12-01"},
	"monitoring":           {rpcCBOR, "", ""},
	"secretsmanager":       {awsJSON, "secretsmanager", ""},
	"rds-data":             {restJSON, "", ""}, // the RDS Data API (rdsdata.go)
}

// throttling is each protocol's rate-exceeded error.
var throttling = map[string]*apiError{
	"autoscaling":          errorf(http.StatusBadRequest, "Throttling", "Rate exceeded"),
	"rds":                  errorf(http.StatusBadRequest, "Throttling", "Rate exceeded"),
	"route53":              errorf(http.StatusBadRequest, "Throttling", "Rate exceeded"),
	"backup":               errorf(http.StatusTooManyRequests, "ThrottlingException", "Rate exceeded"),
	"fis":                  errorf(http.StatusTooManyRequests, "ThrottlingException", "Rate exceeded"),
	"elasticloadbalancing": errorf(http.StatusBadRequest, "Throttling", "Rate exceeded"),
	"monitoring":           errorf(http.StatusBadRequest, "Throttling", "Rate exceeded"),
	"secretsmanager":       errorf(http.StatusBadRequest, "ThrottlingException", "Rate exceeded"),
}

func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newUUID()
	m := signedScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		writeQueryError(w, "", requestID, errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"))
		return
	}
	region, service := m[1], m[2]
	if service == "route53" && region != "us-east-1" {
		// Route 53 is global: its API signs for us-east-1
		// (https://docs.aws.amazon.com/general/latest/gr/r53.html)
		writeQueryError(w, services[service].namespace, requestID, errorf(http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to a valid region, not '%s'.", region))
		return
	}
	svc, ok := services[service]
	if !ok {
		writeQueryError(w, "", requestID, errorf(http.StatusBadRequest, "UnknownService", "the fake does not serve %s", service))
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeServiceError(w, service, requestID, errorf(http.StatusBadRequest, "InvalidRequest", "%v", err))
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	action := restAction(service, r)
	if svc.protocol == awsJSON {
		action = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), svc.namespace+".")
	}
	if svc.protocol == awsQuery {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			writeServiceError(w, service, requestID, errorf(http.StatusBadRequest, "InvalidRequest", "The Query API takes form-encoded POST requests."))
			return
		}
		action = r.PostForm.Get("Action")
		if v := r.PostForm.Get("Version"); v != svc.version {
			writeServiceError(w, service, requestID, errorf(http.StatusBadRequest, "InvalidParameterValue", "Unsupported API version %q.", v))
			return
		}
	}
	c.calls = append(c.calls, fmt.Sprintf("%s %s %s", service, action, region))
	if throttling[service] != nil && c.throttle[service] > 0 {
		c.throttle[service]--
		writeServiceError(w, service, requestID, throttling[service])
		return
	}
	var result any
	var apiErr *apiError
	switch service {
	case "autoscaling":
		result, apiErr = c.autoScaling(region, action, query(r.PostForm))
	case "rds":
		result, apiErr = c.rds(region, action, query(r.PostForm))
	case "route53":
		result, apiErr = c.route53(action, r, body)
	case "backup":
		result, apiErr = c.backup(region, action, r, body)
	case "fis":
		result, apiErr = c.fis(region, action, r, body)
	case "elasticloadbalancing":
		result, apiErr = c.elbv2(region, action, query(r.PostForm))
	case "monitoring":
		result, apiErr = c.cloudWatch(region, action, body)
	case "secretsmanager":
		result, apiErr = c.secretsManager(region, action, body)
	case "rds-data":
		result, apiErr = c.rdsData(region, action, body)
	}
	if apiErr != nil {
		writeServiceError(w, service, requestID, apiErr)
		return
	}
	switch svc.protocol {
	case awsQuery:
		writeQueryResult(w, svc.namespace, action, requestID, result)
	case restXML:
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-RequestId", requestID)
		_, _ = w.Write([]byte(xml.Header))
		_ = xml.NewEncoder(w).Encode(result)
	case restJSON:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-RequestId", requestID)
		_ = json.NewEncoder(w).Encode(result)
	case rpcCBOR:
		writeCBOR(w, requestID, http.StatusOK, result.(cbor.Value))
	case awsJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-RequestId", requestID)
		_ = json.NewEncoder(w).Encode(result)
	}
}

// readBody reads a request's body; for form posts it also parses the form.
func readBody(r *http.Request) ([]byte, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return nil, r.ParseForm()
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(r.Body)
	return buf.Bytes(), err
}

// restAction names a REST request by the operation its method and path belong to.
func restAction(service string, r *http.Request) string {
	p := r.URL.Path
	switch service {
	case "route53":
		switch {
		case r.Method == http.MethodGet && p == "/2013-04-01/healthcheck":
			return "ListHealthChecks"
		case r.Method == http.MethodPost && p == "/2013-04-01/tags/healthcheck":
			return "ListTagsForResources"
		case r.Method == http.MethodGet && strings.HasPrefix(p, "/2013-04-01/healthcheck/") && strings.HasSuffix(p, "/status"):
			return "GetHealthCheckStatus"
		case r.Method == http.MethodPost && strings.HasPrefix(p, "/2013-04-01/healthcheck/"):
			return "UpdateHealthCheck"
		}
	case "backup":
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(p, "/backup-vaults/") && strings.HasSuffix(strings.TrimSuffix(p, "/"), "/recovery-points"):
			return "ListRecoveryPointsByBackupVault"
		case r.Method == http.MethodPut && p == "/restore-jobs":
			return "StartRestoreJob"
		case r.Method == http.MethodGet && strings.HasPrefix(p, "/restore-jobs/"):
			return "DescribeRestoreJob"
		}
	case "monitoring":
		if op, ok := strings.CutPrefix(p, "/service/GraniteServiceVersion20100801/operation/"); ok && r.Method == http.MethodPost {
			return op
		}
	case "rds-data":
		if r.Method == http.MethodPost && p == "/Execute" {
			return "ExecuteStatement"
		}
	case "fis":
		switch {
		case r.Method == http.MethodPost && p == "/experiments":
			return "StartExperiment"
		case r.Method == http.MethodGet && p == "/experimentTemplates":
			return "ListExperimentTemplates"
		case r.Method == http.MethodGet && strings.HasPrefix(p, "/experiments/"):
			return "GetExperiment"
		case r.Method == http.MethodDelete && strings.HasPrefix(p, "/experiments/"):
			return "StopExperiment"
		}
	}
	return r.Method + " " + p
}

// query reads Query-protocol parameters, lists included (Name.member.N).
type query map[string][]string

func (q query) get(k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (q query) has(k string) bool { _, ok := q[k]; return ok }

// list reads prefix.member.1, prefix.member.2, ...
func (q query) list(prefix string) []string {
	var out []string
	for i := 1; q.has(fmt.Sprintf("%s.member.%d", prefix, i)); i++ {
		out = append(out, q.get(fmt.Sprintf("%s.member.%d", prefix, i)))
	}
	return out
}

func (q query) require(keys ...string) *apiError {
	for _, k := range keys {
		if q.get(k) == "" {
			return errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter %s", k)
		}
	}
	return nil
}

// writeQueryResult writes <ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>.
func writeQueryResult(w http.ResponseWriter, namespace, action, requestID string, result any) {
	var inner bytes.Buffer
	if result != nil {
		enc := xml.NewEncoder(&inner)
		_ = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `%s<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		xml.Header, action, namespace, inner.String(), requestID, action)
}

type xmlError struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type xmlErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Namespace string   `xml:"xmlns,attr,omitempty"`
	Error     xmlError `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

// writeQueryError writes the error document of the Query and REST-XML protocols.
func writeQueryError(w http.ResponseWriter, namespace, requestID string, e *apiError) {
	kind := "Sender"
	if e.status >= 500 {
		kind = "Receiver"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(xmlErrorResponse{Namespace: namespace, Error: xmlError{Type: kind, Code: e.code, Message: e.message}, RequestID: requestID})
}

// writeServiceError writes a service's error in its protocol.
func writeServiceError(w http.ResponseWriter, service, requestID string, e *apiError) {
	svc := services[service]
	if svc.protocol == rpcCBOR {
		writeCBORError(w, requestID, e)
		return
	}
	if svc.protocol != restJSON && svc.protocol != awsJSON {
		writeQueryError(w, svc.namespace, requestID, e)
		return
	}
	w.Header().Set("Content-Type", map[bool]string{true: "application/x-amz-json-1.1", false: "application/json"}[svc.protocol == awsJSON])
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "Code": e.code, "Message": e.message, "message": e.message})
}

// queryTime is the Query and REST-XML protocols' timestamp format.
func queryTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// epochSeconds is the REST-JSON protocol's timestamp format.
func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func newUUID() string {
	h := newID("", 32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// A page token continues a list where the last page ended, for the same
// request only: it carries the request's fingerprint, and a token of
// another request (or a made-up one) is refused, as AWS refuses a token
// it did not issue for the request. Tokens are opaque to clients, as
// AWS's are.
func pageToken(fingerprint string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%s|%d", fingerprint, offset)))
}

// pageFrom reads a token; ok is false when it is not this request's.
func pageFrom(token, fingerprint string, n int) (offset int, ok bool) {
	if token == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, false
	}
	fp, off, found := strings.Cut(string(b), "|")
	if !found || fp != fingerprint {
		return 0, false
	}
	offset, err = strconv.Atoi(off)
	if err != nil || offset < 0 || offset > n {
		return 0, false
	}
	return offset, true
}

// cut is the page [from, from+size) of n items and the token of the next
// page ("" when this is the last).
func cut(n, from, size int, fingerprint string) (to int, next string) {
	to = min(from+size, n)
	if to < n {
		next = pageToken(fingerprint, to)
	}
	return to, next
}

// fingerprint names a request by its parameters, tokens and page sizes left out.
func fingerprint(parts ...string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(strings.Join(parts, "\x00")))
	return fmt.Sprintf("%016x", h.Sum64())
}
