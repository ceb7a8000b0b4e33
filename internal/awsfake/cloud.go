package awsfake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Cloud is a fake of the AWS control-plane APIs a disaster-recovery drill
// calls, one account over every region, on one loopback endpoint:
//
//   - Auto Scaling (Query protocol): groups, their instances and suspended
//     processes;
//   - RDS (Query protocol): Aurora global clusters, failover and switchover,
//     and the clusters a restore creates;
//   - Route 53 (REST-XML): health checks, their tags, status and inversion,
//     and the answers of failover and latency records;
//   - AWS Backup (REST-JSON): recovery points per vault and restore jobs;
//   - FIS (REST-JSON): experiments started from templates;
//   - Elastic Load Balancing v2 (Query protocol): target groups, their tags
//     and their targets' health;
//   - CloudWatch (Smithy RPC v2 CBOR): GetMetricData over datapoints put
//     with PutDatapoint.
//
// The service a request is for comes from its SigV4 credential scope, the
// region too (Route 53 is global and signs for us-east-1). Long operations
// advance one step per describe call (Ticks), so a client's waiter runs as
// it would against AWS, only faster.
type Cloud struct {
	// Ticks is how many describe calls an operation stays in each of its
	// intermediate states (an instance pending, a failover, a restore job,
	// an experiment initiating); zero means 1.
	Ticks int
	// Checker decides a health check's raw result (before Inverted); by
	// default an HTTP(S) GET of the check's address, as Route 53's checkers do.
	Checker func(HealthCheck) bool

	mu           sync.Mutex
	groups       map[string]map[string]*Group // region -> name
	checks       map[string]*HealthCheck
	records      []*Record
	globals      map[string]*GlobalCluster
	clusters     map[string]map[string]*DBCluster // region -> identifier
	vaults       map[string]map[string]bool       // region -> vault name
	points       []*RecoveryPoint
	restores     map[string]*RestoreJob
	templates    map[string]*ExperimentTemplate
	experiments  map[string]*Experiment
	targetGroups []*TargetGroup
	targetHealth map[string]string // instance ID -> a health marked by SetTargetHealth
	metrics      []Datapoint
	alarms       map[string]Alarm // region + "/" + name
	throttle     map[string]int
	calls        []string
	server       *httptest.Server
}

// NewCloud starts the fake on a loopback port. Close stops it.
func NewCloud() *Cloud {
	c := &Cloud{
		groups: map[string]map[string]*Group{}, checks: map[string]*HealthCheck{}, globals: map[string]*GlobalCluster{},
		clusters: map[string]map[string]*DBCluster{}, vaults: map[string]map[string]bool{}, restores: map[string]*RestoreJob{},
		templates: map[string]*ExperimentTemplate{}, experiments: map[string]*Experiment{}, throttle: map[string]int{}, alarms: map[string]Alarm{},
	}
	c.server = serveOnLoopback(c)
	return c
}

// URL is the endpoint to give every client (Options.BaseEndpoint).
func (c *Cloud) URL() string { return c.server.URL }

// Close stops the server.
func (c *Cloud) Close() { c.server.Close() }

// Throttle makes the next n requests to a service ("autoscaling", "rds",
// "route53", "backup", "fis") fail with the service's throttling error, as
// AWS does when a caller exceeds its request rate.
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

func (c *Cloud) ticks() int { return max(c.Ticks, 1) }

// signedScope finds the region and service in a SigV4 Authorization header.
var signedScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

// protocol is how a service encodes its answers and errors.
type protocol int

const (
	awsQuery protocol = iota
	restXML
	restJSON
	rpcCBOR
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
}

func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newUUID()
	m := signedScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		writeQueryError(w, "", requestID, errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"))
		return
	}
	region, service := m[1], m[2]
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
	if c.throttle[service] > 0 {
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
	if svc.protocol != restJSON {
		writeQueryError(w, svc.namespace, requestID, e)
		return
	}
	w.Header().Set("Content-Type", "application/json")
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
