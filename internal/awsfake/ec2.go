package awsfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

// EC2APIVersion is the Query API version the SDK sends.
const EC2APIVersion = "2016-11-15"

// Image states, as EC2 names them.
const (
	ImagePending   = "pending"
	ImageAvailable = "available"
	ImageFailed    = "failed"
)

// Image is one AMI in one region of the fake.
type Image struct {
	ID, Name, State string
	// SourceImageID and SourceRegion are set on copies.
	SourceImageID, SourceRegion string
	Tags                        map[string]string
	Encrypted                   bool
	// Created is when a copy began; it is pending for Timings.ImageCopy from then.
	Created time.Time
	token   string
	request string // the fingerprint of the CopyImage request that made it
}

// EC2 is a fake of the EC2 Query API's image actions (CopyImage,
// DescribeImages), one account over every region, served on loopback.
// A copy is pending for Timings.ImageCopy on Clock, then available.
type EC2 struct {
	// Clock is the time copies move with; nil is the wall clock.
	Clock clock.Clock
	// Timings: ImageCopy is how long a copy stays pending (zero: the default).
	Timings Timings
	// PageSize, when positive, caps the images of a DescribeImages page.
	PageSize int
	// FailCopiesTo makes copies into these regions end failed.
	FailCopiesTo map[string]bool

	mu       sync.Mutex
	images   map[string]map[string]*Image // region -> image ID -> image
	calls    []string
	throttle int
	server   *httptest.Server
}

// NewEC2 starts a fake on a loopback port. Close stops it.
func NewEC2() *EC2 {
	f := &EC2{images: map[string]map[string]*Image{}, FailCopiesTo: map[string]bool{}}
	f.server = serveOnLoopback(f)
	return f
}

// URL is the endpoint to give the SDK (ec2.Options.BaseEndpoint).
func (f *EC2) URL() string { return f.server.URL }

// Close stops the server.
func (f *EC2) Close() { f.server.Close() }

// AddImage puts an image into a region, available unless State says otherwise.
func (f *EC2) AddImage(region string, img Image) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img.State == "" {
		img.State = ImageAvailable
	}
	if img.Tags == nil {
		img.Tags = map[string]string{}
	}
	if f.images[region] == nil {
		f.images[region] = map[string]*Image{}
	}
	f.images[region][img.ID] = &img
}

// Image returns a copy of a region's image, as it is now.
func (f *EC2) Image(region, id string) (Image, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[region][id]
	if !ok {
		return Image{}, false
	}
	f.settle(region, img)
	return *img, true
}

// Throttle makes the next n requests fail with EC2's RequestLimitExceeded,
// as EC2 does past its request rate
// (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
func (f *EC2) Throttle(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle = n
}

// settle moves a pending copy on when ImageCopy has passed since it began.
func (f *EC2) settle(region string, img *Image) {
	if img.State != ImagePending || clock.OrReal(f.Clock).Now().Before(img.Created.Add(f.Timings.or().ImageCopy)) {
		return
	}
	img.State = ImageAvailable
	if f.FailCopiesTo[region] {
		img.State = ImageFailed
	}
}

// Images lists a region's image IDs, sorted.
func (f *EC2) Images(region string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return sortedKeys(f.images[region])
}

// Calls lists the calls served, as "Action region".
func (f *EC2) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// apiError is an EC2 error: its code, message and HTTP status.
type apiError struct {
	status        int
	code, message string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// credentialScope finds the region in a SigV4 Authorization header:
// Credential=<key>/<date>/<region>/<service>/aws4_request.
var credentialScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/ec2/aws4_request`)

var amiID = regexp.MustCompile(`^ami-[0-9a-f]{8}([0-9a-f]{9})?$`)

func (f *EC2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newID("", 32)
	if err := f.serve(w, r, requestID); err != nil {
		writeError(w, requestID, err)
	}
}

func (f *EC2) serve(w http.ResponseWriter, r *http.Request, requestID string) *apiError {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return errorf(http.StatusBadRequest, "InvalidRequest", "The EC2 Query API takes form-encoded POST requests.")
	}
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return errorf(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
	}
	region := m[1]
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "InvalidRequest", "%v", err)
	}
	if v := r.PostForm.Get("Version"); v != EC2APIVersion {
		return errorf(http.StatusBadRequest, "InvalidRequest", "Unsupported API version %q.", v)
	}
	action := r.PostForm.Get("Action")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, action+" "+region)
	if f.throttle > 0 {
		// EC2's throttling error; its errors page lists it among the client
		// errors, and it comes with HTTP 503, which with its code makes the
		// SDK's retryer back off and retry
		// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)
		f.throttle--
		return errorf(http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
	}
	var body any
	var err *apiError
	switch action {
	case "CopyImage":
		body, err = f.copyImage(region, r.PostForm, requestID)
	case "DescribeImages":
		body, err = f.describeImages(region, r.PostForm, requestID)
	default:
		return errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", action)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(body)
	return nil
}

type copyImageResponse struct {
	XMLName   xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ CopyImageResponse"`
	RequestID string   `xml:"requestId"`
	ImageID   string   `xml:"imageId"`
}

func (f *EC2) copyImage(region string, form map[string][]string, requestID string) (any, *apiError) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for _, k := range []string{"SourceImageId", "SourceRegion", "Name"} {
		if get(k) == "" {
			return nil, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter %s", k)
		}
	}
	srcID, srcRegion, name, token := get("SourceImageId"), get("SourceRegion"), get("Name"), get("ClientToken")
	if !amiID.MatchString(srcID) {
		return nil, errorf(http.StatusBadRequest, "InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", srcID)
	}
	src, ok := f.images[srcRegion][srcID]
	if !ok {
		return nil, errorf(http.StatusBadRequest, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", srcID)
	}
	if src.State != ImageAvailable {
		return nil, errorf(http.StatusBadRequest, "IncorrectState", "Image %s is not in a valid state for copying: %s", srcID, src.State)
	}
	if len(token) > 64 {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "Value (%s) for parameter clientToken is invalid. The client token is too long (64 characters at most).", token)
	}
	// a ClientToken makes a retry the same request: the same copy comes
	// back; the token with other parameters is refused
	// (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html)
	request := fingerprint(copyRequest(form)...)
	for _, img := range f.images[region] {
		if token != "" && img.token == token {
			if img.request != request {
				return nil, errorf(http.StatusBadRequest, "IdempotentParameterMismatch", "The client token %s was used with different parameters.", token)
			}
			return copyImageResponse{RequestID: requestID, ImageID: img.ID}, nil // idempotent retry
		}
	}
	for _, img := range f.images[region] {
		if img.Name == name {
			return nil, errorf(http.StatusBadRequest, "InvalidAMIName.Duplicate", "AMI name %s is already in use by AMI %s", name, img.ID)
		}
	}
	img := &Image{
		ID: newID("ami-", 17), Name: name, State: ImagePending, SourceImageID: srcID, SourceRegion: srcRegion,
		Tags: map[string]string{}, Encrypted: get("Encrypted") == "true" || src.Encrypted, token: token,
		Created: clock.OrReal(f.Clock).Now(), request: request,
	}
	if get("CopyImageTags") == "true" {
		for k, v := range src.Tags {
			img.Tags[k] = v
		}
	}
	for i := 1; get(fmt.Sprintf("TagSpecification.%d.ResourceType", i)) != ""; i++ {
		if rt := get(fmt.Sprintf("TagSpecification.%d.ResourceType", i)); rt != "image" {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		for j := 1; ; j++ {
			k := get(fmt.Sprintf("TagSpecification.%d.Tag.%d.Key", i, j))
			if k == "" {
				break
			}
			img.Tags[k] = get(fmt.Sprintf("TagSpecification.%d.Tag.%d.Value", i, j))
		}
	}
	if f.images[region] == nil {
		f.images[region] = map[string]*Image{}
	}
	f.images[region][img.ID] = img
	return copyImageResponse{RequestID: requestID, ImageID: img.ID}, nil
}

type tagItem struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type stateReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type imageItem struct {
	ImageID           string       `xml:"imageId"`
	Name              string       `xml:"name"`
	State             string       `xml:"imageState"`
	OwnerID           string       `xml:"imageOwnerId"`
	SourceImageID     string       `xml:"sourceImageId,omitempty"`
	SourceImageRegion string       `xml:"sourceImageRegion,omitempty"`
	StateReason       *stateReason `xml:"stateReason,omitempty"`
	Tags              []tagItem    `xml:"tagSet>item"`
}

type describeImagesResponse struct {
	XMLName   xml.Name    `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeImagesResponse"`
	RequestID string      `xml:"requestId"`
	Images    []imageItem `xml:"imagesSet>item"`
	NextToken string      `xml:"nextToken,omitempty"`
}

// Account is the fake's one account.
const Account = "123456789012"

// describeImages serves DescribeImages by ID, owner and filter. Without
// MaxResults every image comes in one answer; with it (5 to 1,000) in
// pages continued by NextToken
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#api-pagination).
func (f *EC2) describeImages(region string, form map[string][]string, requestID string) (any, *apiError) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var ids, owners []string
	for i := 1; ; i++ {
		v, ok := form[fmt.Sprintf("ImageId.%d", i)]
		if !ok {
			break
		}
		ids = append(ids, v[0])
	}
	for i := 1; ; i++ {
		v, ok := form[fmt.Sprintf("Owner.%d", i)]
		if !ok {
			break
		}
		owners = append(owners, v[0])
	}
	filters := map[string][]string{}
	var keys []string
	for i := 1; ; i++ {
		name, ok := form[fmt.Sprintf("Filter.%d.Name", i)]
		if !ok {
			break
		}
		for j := 1; ; j++ {
			v, ok := form[fmt.Sprintf("Filter.%d.Value.%d", i, j)]
			if !ok {
				break
			}
			filters[name[0]] = append(filters[name[0]], v[0])
		}
		keys = append(keys, name[0]+"="+strings.Join(filters[name[0]], ","))
	}
	paged := get("MaxResults") != ""
	size := 0
	if paged {
		n, err := strconv.Atoi(get("MaxResults"))
		if err != nil || n < 5 || n > 1000 {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", get("MaxResults"))
		}
		size = n
	}
	var chosen []*Image
	if len(ids) > 0 {
		for _, id := range ids {
			if !amiID.MatchString(id) {
				return nil, errorf(http.StatusBadRequest, "InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
			}
			img, ok := f.images[region][id]
			if !ok {
				return nil, errorf(http.StatusBadRequest, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
			}
			chosen = append(chosen, img)
		}
	} else {
		for _, id := range sortedKeys(f.images[region]) {
			chosen = append(chosen, f.images[region][id])
		}
	}
	var items []imageItem
	for _, img := range chosen {
		f.settle(region, img)
		if !matches(img, filters) || len(owners) > 0 && !slices.Contains(owners, "self") && !slices.Contains(owners, Account) {
			continue
		}
		item := imageItem{ImageID: img.ID, Name: img.Name, State: img.State, OwnerID: Account, SourceImageID: img.SourceImageID, SourceImageRegion: img.SourceRegion}
		if img.State == ImageFailed {
			item.StateReason = &stateReason{Code: "Client.InternalError", Message: "Copy failed (fake: FailCopiesTo)"}
		}
		for _, k := range sortedKeys(img.Tags) {
			item.Tags = append(item.Tags, tagItem{Key: k, Value: img.Tags[k]})
		}
		items = append(items, item)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].ImageID < items[j].ImageID })
	resp := describeImagesResponse{RequestID: requestID, Images: items}
	if !paged {
		return resp, nil
	}
	slices.Sort(keys)
	fp := fingerprint(region, strings.Join(ids, ","), strings.Join(owners, ","), strings.Join(keys, ";"))
	from, ok := pageFrom(get("NextToken"), fp, len(items))
	if !ok {
		return nil, errorf(http.StatusBadRequest, "InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
	}
	if f.PageSize > 0 {
		size = min(size, f.PageSize)
	}
	to, next := cut(len(items), from, size, fp)
	resp.Images, resp.NextToken = items[from:to], next
	return resp, nil
}

// copyRequest lists a CopyImage request's parameters but its token, to
// tell a retry from another request under the same token.
func copyRequest(form map[string][]string) []string {
	var out []string
	for _, k := range sortedKeys(form) {
		if k != "ClientToken" && k != "Action" && k != "Version" {
			out = append(out, k+"="+strings.Join(form[k], ","))
		}
	}
	return out
}

// matches applies the filters bulwark sends: tag:<key>, name, image-id, state.
func matches(img *Image, filters map[string][]string) bool {
	for name, values := range filters {
		var have string
		switch {
		case strings.HasPrefix(name, "tag:"):
			v, ok := img.Tags[strings.TrimPrefix(name, "tag:")]
			if !ok {
				return false
			}
			have = v
		case name == "name":
			have = img.Name
		case name == "image-id":
			have = img.ID
		case name == "state":
			have = img.State
		default:
			return false // a filter the fake does not know matches nothing, loudly in tests
		}
		found := false
		for _, v := range values {
			if v == have {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

type errorResponse struct {
	XMLName xml.Name `xml:"Response"`
	Errors  []struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Errors>Error"`
	RequestID string `xml:"RequestID"`
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	resp := errorResponse{RequestID: requestID}
	resp.Errors = append(resp.Errors, struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}{e.code, e.message})
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(resp)
}

// newID is prefix plus n random hex digits.
func newID(prefix string, n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)[:n]
}

// serveOnLoopback starts a server for h on a free loopback port.
func serveOnLoopback(h http.Handler) *httptest.Server {
	s := httptest.NewUnstartedServer(h)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("awsfake: listen on loopback: %v", err))
	}
	s.Listener = l
	s.Start()
	return s
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
