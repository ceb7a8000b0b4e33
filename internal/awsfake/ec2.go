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
	"strings"
	"sync"
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
	polls                       int
	token                       string
}

// EC2 is a fake of the EC2 Query API's image actions (CopyImage,
// DescribeImages), one account over every region, served on loopback.
type EC2 struct {
	// PendingPolls is how many DescribeImages calls see a copy pending
	// before it is available.
	PendingPolls int
	// FailCopiesTo makes copies into these regions end failed.
	FailCopiesTo map[string]bool

	mu     sync.Mutex
	images map[string]map[string]*Image // region -> image ID -> image
	calls  []string
	server *httptest.Server
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

// Image returns a copy of a region's image.
func (f *EC2) Image(region, id string) (Image, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[region][id]
	if !ok {
		return Image{}, false
	}
	return *img, true
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
	for _, img := range f.images[region] {
		if token != "" && img.token == token {
			return copyImageResponse{RequestID: requestID, ImageID: img.ID}, nil // idempotent retry
		}
		if img.Name == name {
			return nil, errorf(http.StatusBadRequest, "InvalidAMIName.Duplicate", "AMI name %s is already in use by AMI %s", name, img.ID)
		}
	}
	img := &Image{
		ID: newID("ami-", 17), Name: name, State: ImagePending, SourceImageID: srcID, SourceRegion: srcRegion,
		Tags: map[string]string{}, Encrypted: get("Encrypted") == "true" || src.Encrypted, token: token,
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
}

// Account is the fake's one account.
const Account = "123456789012"

func (f *EC2) describeImages(region string, form map[string][]string, requestID string) (any, *apiError) {
	var ids []string
	for i := 1; ; i++ {
		v, ok := form[fmt.Sprintf("ImageId.%d", i)]
		if !ok {
			break
		}
		ids = append(ids, v[0])
	}
	filters := map[string][]string{}
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
		for _, img := range f.images[region] {
			chosen = append(chosen, img)
		}
	}
	resp := describeImagesResponse{RequestID: requestID}
	for _, img := range chosen {
		if !matches(img, filters) {
			continue
		}
		if img.State == ImagePending {
			if img.polls >= f.PendingPolls {
				img.State = ImageAvailable
				if f.FailCopiesTo[region] {
					img.State = ImageFailed
				}
			}
			img.polls++
		}
		item := imageItem{ImageID: img.ID, Name: img.Name, State: img.State, OwnerID: Account, SourceImageID: img.SourceImageID, SourceImageRegion: img.SourceRegion}
		if img.State == ImageFailed {
			item.StateReason = &stateReason{Code: "Client.InternalError", Message: "Copy failed (fake: FailCopiesTo)"}
		}
		for _, k := range sortedKeys(img.Tags) {
			item.Tags = append(item.Tags, tagItem{Key: k, Value: img.Tags[k]})
		}
		resp.Images = append(resp.Images, item)
	}
	sort.Slice(resp.Images, func(i, j int) bool { return resp.Images[i].ImageID < resp.Images[j].ImageID })
	return resp, nil
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
