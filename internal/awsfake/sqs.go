package awsfake

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

// SQS is a fake of Amazon SQS's standard queues, one account over every
// region, on its own loopback endpoint, speaking the AWS JSON 1.0
// protocol that aws-sdk-go-v2's sqs client speaks (POST /, the action in
// X-Amz-Target as AmazonSQS.<Action>, errors as __type with the query
// code in X-Amzn-Query-Error, since SQS is query-compatible):
// CreateQueue, GetQueueUrl, SendMessage, ReceiveMessage (visibility
// timeout, ApproximateReceiveCount, long polls), DeleteMessage and
// GetQueueAttributes, with redrive to a dead-letter queue after a
// source queue's maxReceiveCount.
//
// As on AWS, a queue's URL carries its region and the account:
// http://sqs.<region>.localhost:<port>/<account>/<name>, the host named
// as AWS names it (https://sqs.<region>.amazonaws.com/<account>/<name>,
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html).
// The SDK sends every request to its endpoint (URL, the client's
// BaseEndpoint) and the queue URL in the body only, so the URL's host
// need not resolve. A queue asked for at another region's endpoint (the
// region of the request's SigV4 scope) does not exist there.
//
// Time is the fake's Clock: visibility timeouts, delays, retention and
// long polls run on it.
type SQS struct {
	// Clock is the time queues move with; nil is the wall clock.
	Clock clock.Clock

	mu     sync.Mutex
	queues map[string]map[string]*SQSQueue // region -> name
	calls  []string
	server *httptest.Server
}

// SQSQueue is one SQS queue of the fake.
type SQSQueue struct {
	Name, Region, URL, ARN string
	Created                time.Time
	attrs                  sqsQueueAttrs
	messages               []*sqsMessage // in the order sent
}

// sqsQueueAttrs are a queue's settable attributes, with AWS's defaults.
type sqsQueueAttrs struct {
	visibility, retention, wait, delay, maxSize int
	redrive                                     *sqsRedrive
	redriveRaw                                  string
}

type sqsRedrive struct {
	target string // the dead-letter queue's ARN
	max    int    // maxReceiveCount
}

// sqsMessage is a message in a queue.
type sqsMessage struct {
	id, body  string
	sent      time.Time // enqueued (the source queue's time, kept by a redrive)
	visibleAt time.Time // hidden until then (delay or visibility timeout)
	receives  int
	firstRecv time.Time
	handle    string // the newest receipt handle; older ones delete nothing
}

// NewSQS starts the fake on a loopback port. Close stops it.
func NewSQS() *SQS {
	f := &SQS{queues: map[string]map[string]*SQSQueue{}}
	f.server = serveOnLoopback(f)
	return f
}

// URL is the endpoint to give every client (Options.BaseEndpoint).
func (f *SQS) URL() string { return f.server.URL }

// Close stops the server.
func (f *SQS) Close() { f.server.Close() }

func (f *SQS) now() time.Time { return clock.OrReal(f.Clock).Now() }

// Calls lists the requests served, as "Action region".
func (f *SQS) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Bodies lists the bodies of a queue's messages, visible or not, in the
// order they were sent (nil when the queue does not exist): what a test
// reads to see what is left, or what a redrive moved.
func (f *SQS) Bodies(region, name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.queues[region][name]
	if q == nil {
		return nil
	}
	f.expire(q)
	var out []string
	for _, m := range q.messages {
		out = append(out, m.body)
	}
	return out
}

// sqsError is an SQS error: the shape's name (__type) and the code of
// the Query protocol that X-Amzn-Query-Error carries.
type sqsError struct {
	status            int
	shape, query, msg string
}

func sqsErr(status int, shape, query, format string, args ...any) *sqsError {
	return &sqsError{status: status, shape: shape, query: query, msg: fmt.Sprintf(format, args...)}
}

// The errors the fake answers, with the shapes and codes of SQS's API
// reference (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
// and each action's Errors section).
func sqsNoQueue() *sqsError {
	return sqsErr(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

func sqsParam(format string, args ...any) *sqsError {
	return sqsErr(400, "InvalidParameterValue", "InvalidParameterValue", format, args...)
}

func sqsAttrValue(format string, args ...any) *sqsError {
	return sqsErr(400, "InvalidAttributeValue", "InvalidAttributeValue", format, args...)
}

func sqsMissing(name string) *sqsError {
	return sqsErr(400, "MissingParameter", "MissingParameter", "The request must contain the parameter %s.", name)
}

// the SigV4 scope's region, for the service sqs
var sqsScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/sqs/aws4_request`)

func (f *SQS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newUUID()
	region, action, body, apiErr := f.request(r)
	var result any
	if apiErr == nil {
		f.mu.Lock()
		f.calls = append(f.calls, action+" "+region)
		f.mu.Unlock()
		result, apiErr = f.serve(r.Context(), region, action, body)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-RequestId", requestID)
	if apiErr != nil {
		fault := "Sender"
		if apiErr.status >= 500 {
			fault = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", apiErr.query+";"+fault)
		w.WriteHeader(apiErr.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + apiErr.shape, "message": apiErr.msg})
		return
	}
	_ = json.NewEncoder(w).Encode(result)
}

// request checks the protocol: a POST signed for sqs, of JSON 1.0, naming
// an AmazonSQS action
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html).
func (f *SQS) request(r *http.Request) (region, action string, body []byte, _ *sqsError) {
	m := sqsScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return "", "", nil, sqsErr(403, "MissingAuthenticationToken", "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.0") {
		return "", "", nil, sqsErr(400, "InvalidAction", "InvalidAction", "The JSON protocol takes POST requests of application/x-amz-json-1.0.")
	}
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if !ok {
		return "", "", nil, sqsErr(400, "InvalidAction", "InvalidAction", "X-Amz-Target must name an AmazonSQS action.")
	}
	body, err := readBody(r)
	if err != nil {
		return "", "", nil, sqsErr(400, "MalformedInput", "MalformedInput", "%v", err)
	}
	return m[1], action, body, nil
}

// sqsQueueName is what a standard queue's name may hold: up to 80 of
// letters, digits, - and _
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
var sqsQueueName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// Bounds of what the fake takes
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
const (
	sqsMaxWait            = 20 // WaitTimeSeconds
	sqsMaxBatch           = 10 // MaxNumberOfMessages
	sqsMaxVisibility      = 43200
	sqsMaxDelay           = 900
	sqsPollTick           = 10 * time.Millisecond // the wall time between a long poll's looks
	sqsDefaultMaxReceives = 10                    // a redrive policy without maxReceiveCount
)

func (f *SQS) serve(ctx context.Context, region, action string, body []byte) (any, *sqsError) {
	decode := func(v any) *sqsError {
		if len(body) == 0 {
			body = []byte("{}")
		}
		if err := json.Unmarshal(body, v); err != nil {
			return sqsErr(400, "MalformedInput", "MalformedInput", "The request body is not the action's JSON: %v", err)
		}
		return nil
	}
	switch action {
	case "CreateQueue":
		var req struct {
			QueueName  string            `json:"QueueName"`
			Attributes map[string]string `json:"Attributes"`
			Tags       map[string]string `json:"tags"`
		}
		if e := decode(&req); e != nil {
			return nil, e
		}
		return f.createQueue(region, req.QueueName, req.Attributes)
	case "GetQueueUrl":
		// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html
		var req struct {
			QueueName string `json:"QueueName"`
			Owner     string `json:"QueueOwnerAWSAccountId"`
		}
		if e := decode(&req); e != nil {
			return nil, e
		}
		if req.QueueName == "" {
			return nil, sqsMissing("QueueName")
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		q := f.queues[region][req.QueueName]
		if q == nil || (req.Owner != "" && req.Owner != Account) {
			return nil, sqsNoQueue()
		}
		return map[string]string{"QueueUrl": q.URL}, nil
	case "SendMessage":
		var req struct {
			QueueURL     string `json:"QueueUrl"`
			MessageBody  *string
			DelaySeconds *int `json:"DelaySeconds"`
		}
		if e := decode(&req); e != nil {
			return nil, e
		}
		return f.sendMessage(region, req.QueueURL, req.MessageBody, req.DelaySeconds)
	case "ReceiveMessage":
		var req sqsReceiveRequest
		if e := decode(&req); e != nil {
			return nil, e
		}
		return f.receiveMessage(ctx, region, req)
	case "DeleteMessage":
		var req struct {
			QueueURL      string `json:"QueueUrl"`
			ReceiptHandle string `json:"ReceiptHandle"`
		}
		if e := decode(&req); e != nil {
			return nil, e
		}
		return f.deleteMessage(region, req.QueueURL, req.ReceiptHandle)
	case "GetQueueAttributes":
		var req struct {
			QueueURL       string   `json:"QueueUrl"`
			AttributeNames []string `json:"AttributeNames"`
		}
		if e := decode(&req); e != nil {
			return nil, e
		}
		return f.getQueueAttributes(region, req.QueueURL, req.AttributeNames)
	}
	return nil, sqsErr(400, "InvalidAction", "InvalidAction", "The fake does not serve SQS's %s.", action)
}

// createQueue makes a standard queue, or answers the URL of the queue of
// that name when its attributes are the same; with other attributes it
// is QueueNameExists
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
func (f *SQS) createQueue(region, name string, attrs map[string]string) (any, *sqsError) {
	if name == "" {
		return nil, sqsMissing("QueueName")
	}
	if strings.HasSuffix(name, ".fifo") || attrs["FifoQueue"] != "" {
		return nil, sqsParam("The fake serves standard queues only, not FIFO queues.")
	}
	if !sqsQueueName.MatchString(name) {
		return nil, sqsParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, apiErr := f.parseAttrs(region, attrs)
	if apiErr != nil {
		return nil, apiErr
	}
	if q := f.queues[region][name]; q != nil {
		if q.attrs != a {
			return nil, sqsErr(400, "QueueNameExists", "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute(s)")
		}
		return map[string]string{"QueueUrl": q.URL}, nil
	}
	if f.queues[region] == nil {
		f.queues[region] = map[string]*SQSQueue{}
	}
	u, _ := url.Parse(f.server.URL)
	q := &SQSQueue{
		Name: name, Region: region, Created: f.now(), attrs: a,
		URL: fmt.Sprintf("http://sqs.%s.localhost:%s/%s/%s", region, u.Port(), Account, name),
		ARN: fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, Account, name),
	}
	f.queues[region][name] = q
	return map[string]string{"QueueUrl": q.URL}, nil
}

// parseAttrs reads CreateQueue's attributes with their ranges and
// defaults; a dead-letter target must be a queue of the same region and
// account.
func (f *SQS) parseAttrs(region string, attrs map[string]string) (sqsQueueAttrs, *sqsError) {
	a := sqsQueueAttrs{visibility: 30, retention: 345600, wait: 0, delay: 0, maxSize: 1048576}
	for _, k := range sortedKeys(attrs) {
		v := attrs[k]
		var field *int
		var lo, hi int
		switch k {
		case "VisibilityTimeout":
			field, lo, hi = &a.visibility, 0, sqsMaxVisibility
		case "MessageRetentionPeriod":
			field, lo, hi = &a.retention, 60, 1209600
		case "ReceiveMessageWaitTimeSeconds":
			field, lo, hi = &a.wait, 0, sqsMaxWait
		case "DelaySeconds":
			field, lo, hi = &a.delay, 0, sqsMaxDelay
		case "MaximumMessageSize":
			field, lo, hi = &a.maxSize, 1024, 1048576
		case "RedrivePolicy":
			p, e := f.parseRedrive(region, v)
			if e != nil {
				return a, e
			}
			a.redrive, a.redriveRaw = p, v
			continue
		case "Policy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "RedriveAllowPolicy":
			continue // taken, without effect on the fake
		default:
			return a, sqsErr(400, "InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute %s.", k)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return a, sqsAttrValue("Invalid value for the parameter %s: %q (from %d to %d).", k, v, lo, hi)
		}
		*field = n
	}
	return a, nil
}

// parseRedrive reads a RedrivePolicy: {"deadLetterTargetArn": ARN,
// "maxReceiveCount": N} (a number or a string of one, 1 to 1,000)
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html,
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html:
// the dead-letter queue is in the source queue's account and region).
func (f *SQS) parseRedrive(region, v string) (*sqsRedrive, *sqsError) {
	var raw struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil || raw.Target == "" {
		return nil, sqsAttrValue("Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map with deadLetterTargetArn.", v)
	}
	p := &sqsRedrive{target: raw.Target, max: sqsDefaultMaxReceives}
	if len(raw.Max) > 0 {
		n, err := strconv.Atoi(strings.Trim(string(raw.Max), `"`))
		if err != nil || n < 1 || n > 1000 {
			return nil, sqsAttrValue("Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %s, valid values are from 1 to 1000 both inclusive.", v, raw.Max)
		}
		p.max = n
	}
	if f.byARN(region, p.target) == nil {
		return nil, sqsAttrValue("Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", v)
	}
	return p, nil
}

func (f *SQS) byARN(region, arn string) *SQSQueue {
	for _, q := range f.queues[region] {
		if q.ARN == arn {
			return q
		}
	}
	return nil
}

// byURL finds a queue by its URL in the request's region: a URL of
// another region's queue, or of none, is QueueDoesNotExist.
func (f *SQS) byURL(region, raw string) (*SQSQueue, *sqsError) {
	if raw == "" {
		return nil, sqsMissing("QueueUrl")
	}
	for _, q := range f.queues[region] {
		if q.URL == raw {
			return q, nil
		}
	}
	return nil, sqsNoQueue()
}

// sqsValidBody holds the characters a message may: #x9, #xA, #xD, #x20 to
// #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
func sqsValidBody(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

func sqsMD5(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// sendMessage enqueues a message, hidden for its delay (the queue's
// DelaySeconds unless the message gives its own), and answers its ID and
// the MD5 of its body, which the SDK checks
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
func (f *SQS) sendMessage(region, queueURL string, body *string, delay *int) (any, *sqsError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q, e := f.byURL(region, queueURL)
	if e != nil {
		return nil, e
	}
	if body == nil || *body == "" {
		return nil, sqsMissing("MessageBody")
	}
	if len(*body) > q.attrs.maxSize {
		return nil, sqsParam("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.attrs.maxSize)
	}
	if !sqsValidBody(*body) {
		return nil, sqsErr(400, "InvalidMessageContents", "InvalidMessageContents", "Invalid binary character in the message body.")
	}
	d := q.attrs.delay
	if delay != nil {
		if *delay < 0 || *delay > sqsMaxDelay {
			return nil, sqsParam("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.", *delay)
		}
		d = *delay
	}
	now := f.now()
	m := &sqsMessage{id: newUUID(), body: *body, sent: now, visibleAt: now.Add(time.Duration(d) * time.Second)}
	q.messages = append(q.messages, m)
	return map[string]string{"MessageId": m.id, "MD5OfMessageBody": sqsMD5(m.body)}, nil
}

type sqsReceiveRequest struct {
	QueueURL            string   `json:"QueueUrl"`
	MaxNumberOfMessages *int     `json:"MaxNumberOfMessages"`
	VisibilityTimeout   *int     `json:"VisibilityTimeout"`
	WaitTimeSeconds     *int     `json:"WaitTimeSeconds"`
	SystemAttributes    []string `json:"MessageSystemAttributeNames"`
	AttributeNames      []string `json:"AttributeNames"` // deprecated, still taken
}

type sqsMessageDoc struct {
	MessageID     string            `json:"MessageId"`
	ReceiptHandle string            `json:"ReceiptHandle"`
	MD5OfBody     string            `json:"MD5OfBody"`
	Body          string            `json:"Body"`
	Attributes    map[string]string `json:"Attributes,omitempty"`
}

// receiveMessage answers up to MaxNumberOfMessages (1 to 10, default 1)
// visible messages, hiding each for the visibility timeout (the request's
// or the queue's) and counting the receive; with WaitTimeSeconds (0 to
// 20; the queue's ReceiveMessageWaitTimeSeconds when absent) it waits
// for one to become visible, answering as soon as some are, or none at
// the end of the wait
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html,
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html).
// A message whose receive count would exceed its queue's maxReceiveCount
// moves to the dead-letter queue instead
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
func (f *SQS) receiveMessage(ctx context.Context, region string, req sqsReceiveRequest) (any, *sqsError) {
	n := 1
	if req.MaxNumberOfMessages != nil {
		n = *req.MaxNumberOfMessages
		if n < 1 || n > sqsMaxBatch {
			return nil, sqsParam("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", n)
		}
	}
	if v := req.VisibilityTimeout; v != nil && (*v < 0 || *v > sqsMaxVisibility) {
		return nil, sqsParam("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.", *v)
	}
	if w := req.WaitTimeSeconds; w != nil && (*w < 0 || *w > sqsMaxWait) {
		return nil, sqsParam("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *w)
	}
	names := append(slices.Clone(req.SystemAttributes), req.AttributeNames...)
	f.mu.Lock()
	q, e := f.byURL(region, req.QueueURL)
	var wait int
	if e == nil {
		wait = q.attrs.wait
		if req.WaitTimeSeconds != nil {
			wait = *req.WaitTimeSeconds
		}
	}
	f.mu.Unlock()
	if e != nil {
		return nil, e
	}
	c := clock.OrReal(f.Clock)
	deadline := c.Now().Add(time.Duration(wait) * time.Second)
	for {
		f.mu.Lock()
		docs := f.take(q, n, req.VisibilityTimeout, names)
		f.mu.Unlock()
		if len(docs) > 0 || !c.Now().Before(deadline) {
			return map[string]any{"Messages": docs}, nil
		}
		select {
		case <-ctx.Done():
			return map[string]any{"Messages": docs}, nil
		case <-time.After(sqsPollTick):
		}
	}
}

// take receives up to n visible messages of q (under the lock).
func (f *SQS) take(q *SQSQueue, n int, visibility *int, names []string) []sqsMessageDoc {
	f.expire(q)
	now := f.now()
	vis := q.attrs.visibility
	if visibility != nil {
		vis = *visibility
	}
	var dlq *SQSQueue
	if q.attrs.redrive != nil {
		dlq = f.byARN(q.Region, q.attrs.redrive.target)
	}
	docs := []sqsMessageDoc{}
	kept := q.messages[:0]
	for _, m := range q.messages {
		if len(docs) == n || now.Before(m.visibleAt) {
			kept = append(kept, m)
			continue
		}
		if dlq != nil && m.receives >= q.attrs.redrive.max {
			// moved: it keeps its ID and its enqueue time, which its
			// retention counts from
			dlq.messages = append(dlq.messages, &sqsMessage{id: m.id, body: m.body, sent: m.sent, visibleAt: now})
			continue
		}
		m.receives++
		if m.firstRecv.IsZero() {
			m.firstRecv = now
		}
		m.visibleAt = now.Add(time.Duration(vis) * time.Second)
		m.handle = sqsReceiptHandle(q, m)
		kept = append(kept, m)
		docs = append(docs, sqsMessageDoc{MessageID: m.id, ReceiptHandle: m.handle, MD5OfBody: sqsMD5(m.body), Body: m.body, Attributes: sqsSystemAttributes(m, names)})
	}
	q.messages = kept
	return docs
}

// sqsReceiptHandle is a new handle for one receive of a message: it names
// the queue and the message, and differs at every receive.
func sqsReceiptHandle(q *SQSQueue, m *sqsMessage) string {
	return base64.RawURLEncoding.EncodeToString([]byte(q.ARN + "|" + m.id + "|" + newID("", 16)))
}

// sqsSystemAttributes are the message system attributes a receive asked for
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html:
// timestamps in epoch milliseconds).
func sqsSystemAttributes(m *sqsMessage, names []string) map[string]string {
	all := map[string]string{
		"ApproximateReceiveCount":          strconv.Itoa(m.receives),
		"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstRecv.UnixMilli(), 10),
		"SenderId":                         "AIDAFAKESENDER",
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			return all
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// expire drops the messages older than the queue's retention period
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
func (f *SQS) expire(q *SQSQueue) {
	cutoff := f.now().Add(-time.Duration(q.attrs.retention) * time.Second)
	q.messages = slices.DeleteFunc(q.messages, func(m *sqsMessage) bool { return m.sent.Before(cutoff) })
}

// deleteMessage deletes the message a receipt handle names, when it is
// the handle of the message's latest receive; an older handle, or one of
// a message already deleted, succeeds and deletes nothing; a handle the
// queue never issued is ReceiptHandleIsInvalid
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html).
func (f *SQS) deleteMessage(region, queueURL, handle string) (any, *sqsError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q, e := f.byURL(region, queueURL)
	if e != nil {
		return nil, e
	}
	if handle == "" {
		return nil, sqsMissing("ReceiptHandle")
	}
	raw, err := base64.RawURLEncoding.DecodeString(handle)
	parts := strings.Split(string(raw), "|")
	if err != nil || len(parts) != 3 || parts[0] != q.ARN {
		return nil, sqsErr(404, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle %q is not a valid receipt handle.", handle)
	}
	q.messages = slices.DeleteFunc(q.messages, func(m *sqsMessage) bool { return m.handle == handle })
	return map[string]any{}, nil
}

// sqsQueueAttributeNames are the attributes GetQueueAttributes answers
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html;
// the oldest message's age is a CloudWatch metric, not an attribute).
var sqsQueueAttributeNames = []string{
	"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
	"CreatedTimestamp", "DelaySeconds", "LastModifiedTimestamp", "MaximumMessageSize", "MessageRetentionPeriod",
	"QueueArn", "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "VisibilityTimeout",
}

func (f *SQS) getQueueAttributes(region, queueURL string, names []string) (any, *sqsError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q, e := f.byURL(region, queueURL)
	if e != nil {
		return nil, e
	}
	f.expire(q)
	now := f.now()
	var visible, inflight, delayed int
	for _, m := range q.messages {
		switch {
		case !now.Before(m.visibleAt):
			visible++
		case m.receives > 0:
			inflight++
		default:
			delayed++
		}
	}
	created := strconv.FormatInt(q.Created.Unix(), 10)
	all := map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inflight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
		"CreatedTimestamp":                      created,
		"LastModifiedTimestamp":                 created,
		"DelaySeconds":                          strconv.Itoa(q.attrs.delay),
		"MaximumMessageSize":                    strconv.Itoa(q.attrs.maxSize),
		"MessageRetentionPeriod":                strconv.Itoa(q.attrs.retention),
		"QueueArn":                              q.ARN,
		"ReceiveMessageWaitTimeSeconds":         strconv.Itoa(q.attrs.wait),
		"VisibilityTimeout":                     strconv.Itoa(q.attrs.visibility),
	}
	if q.attrs.redrive != nil {
		all["RedrivePolicy"] = q.attrs.redriveRaw
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			out = all
			break
		}
		if !slices.Contains(sqsQueueAttributeNames, n) {
			return nil, sqsErr(400, "InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute %s.", n)
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return map[string]any{"Attributes": out}, nil
}
