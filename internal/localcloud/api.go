package localcloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// The API: JSON over HTTP on the control plane's unix socket.
//
//	GET    /v1/status
//	PUT    /v1/regions/{env}/{region}
//	GET    /v1/regions/{env}/{region}
//	DELETE /v1/regions/{env}/{region}
//	PUT    /v1/images                      body ImageSpec
//	GET    /v1/images/{digest}
//	DELETE /v1/images/{digest}
//	PUT    /v1/groups/{env}/{region}/{svc}  body GroupSpec; waits until healthy
//	GET    /v1/groups/{env}/{region}/{svc}
//	DELETE /v1/groups/{env}/{region}/{svc}
//	POST   /v1/groups/{env}/{region}/{svc}/kill?slot=N
//	PUT    /v1/balancers/{env}/{region}/{svc}  body BalancerSpec; waits until listening
//	GET    /v1/balancers/{env}/{region}/{svc}
//	GET    /v1/balancers/{env}/{region}/{svc}/stats   requests and 5xx answers so far
//	DELETE /v1/balancers/{env}/{region}/{svc}
//	PUT    /v1/dns/{env}                   starts the environment's DNS server
//	GET    /v1/dns/{env}
//	DELETE /v1/dns/{env}
//	PUT    /v1/dns/{env}/{zone}/{name}     body DNSRecordSpec
//	GET    /v1/dns/{env}/{zone}/{name}
//	DELETE /v1/dns/{env}/{zone}/{name}
//	PUT    /v1/parameters/{env}/{region}/{svc}/{name}  body ParameterSpec
//	GET    /v1/parameters/{env}/{region}/{svc}/{name}
//	DELETE /v1/parameters/{env}/{region}/{svc}/{name}
//	PUT    /v1/databases/{env}/{region}/{svc}  body DatabaseSpec; waits until it answers
//	GET    /v1/databases/{env}/{region}/{svc}
//	DELETE /v1/databases/{env}/{region}/{svc}
//	POST   /v1/databases/{env}/{region}/{svc}/promote
//	PUT    /v1/backups/{env}/{svc}          body BackupSpec; takes a first full backup
//	GET    /v1/backups/{env}/{svc}
//	DELETE /v1/backups/{env}/{svc}
//	POST   /v1/backups/{env}/{svc}/run?type=full|diff|incr
//	POST   /v1/regions/{env}/{region}/suspend   kills the region's processes (a region loss)
//	POST   /v1/regions/{env}/{region}/resume
//	POST   /v1/regions/{env}/{region}/partition cuts the region off, its processes alive (a partition)
//	POST   /v1/regions/{env}/{region}/heal      removes the partition
//	POST   /v1/databases/{env}/{region}/{svc}/sync  body {"standbys": [...]} or {"reset": true}
//	POST   /v1/databases/{env}/{region}/{svc}/kill
//	POST   /v1/groups/{env}/{region}/{svc}/zones/{zone}?down=true|false
//	POST   /v1/regions/{env}/{region}/abandon   forgets what is left of a region (before a rebuild)
//	POST   /v1/databases/{env}/{region}/{svc}/switchover   makes this member the primary, losing nothing
//	PUT    /v1/restore-copies/{env}/{region}/{svc}  restores the newest backup from region's vault into a scratch server
//	DELETE /v1/restore-copies/{env}/{region}/{svc}
//	PUT    /v1/monitors/{env}               body MonitorSpec; waits until Prometheus is ready
//	GET    /v1/monitors/{env}
//	DELETE /v1/monitors/{env}
//	POST   /v1/shutdown

// APIVersion is the control plane API's version: bump it whenever the API
// changes, so that a plane left running by an older build is replaced
// (EnsureRunning) instead of answering requests it does not know.
const APIVersion = 12

// Build identifies the build of the running code; a plane of another build
// is replaced too (EnsureRunning), so a changed behaviour never hides behind
// an unchanged API. It is derived when the process starts from the
// executable it runs (BuildOf), so a CLI, the provider plugin and the
// control plane that are one file agree however the file was built (make
// build, go build, go install); stamping it (-ldflags "-X
// github.com/bulwark-dev/bulwark/internal/localcloud.Build=...") overrides that.
var Build string

func init() {
	if Build != "" {
		return
	}
	Build = "unknown" // the executable cannot be read (not so on Linux)
	if exe, err := os.Executable(); err == nil {
		if id, err := BuildOf(exe); err == nil {
			Build = id
		}
	}
}

// BuildOf identifies the build of the executable at path: the Go build ID
// the go command records in it (a hash of what it was linked from and of
// the linked result, read from the ELF note without reading the whole
// file), else the sha256 of its contents.
func BuildOf(path string) (string, error) {
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		if id := goBuildID(f); id != "" {
			return "go:" + id, nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("build of %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("build of %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// goBuildID reads the Go build ID note (section .note.go.buildid: name "Go",
// type 4, the ID as its descriptor), or "" when there is none.
func goBuildID(f *elf.File) string {
	s := f.Section(".note.go.buildid")
	if s == nil {
		return ""
	}
	note, err := s.Data()
	if err != nil || len(note) < 16 {
		return ""
	}
	order := f.ByteOrder
	namesz, descsz, typ := order.Uint32(note[0:]), order.Uint32(note[4:]), order.Uint32(note[8:])
	name := 12 + (int(namesz)+3)&^3
	if namesz != 4 || typ != 4 || string(note[12:14]) != "Go" || len(note) < name+int(descsz) {
		return ""
	}
	return string(note[name : name+int(descsz)])
}

// readyTimeout bounds how long a PUT waits for its object to be ready.
const readyTimeout = 2 * time.Minute

type apiError struct {
	Error string `json:"error"`
	Kind  string `json:"kind,omitempty"` // not_found, port_in_use, not_ready, missing_program, no_addresses
}

var errorKinds = map[string]error{
	"not_found": ErrNotFound, "port_in_use": ErrPortInUse, "not_ready": ErrNotReady,
	"missing_program": ErrMissingProgram, "no_addresses": ErrNoAddresses, "protected": ErrProtected, "split_brain": ErrSplitBrain,
	"live_primary": ErrLivePrimary, "no_backup": ErrNoBackup, "partition_unsupported": ErrPartitionUnsupported,
	"rolled_back": ErrRolledBack,
}

// localOnlyErrors are the package's errors that never cross the API (the
// daemon's own); every other Err* must have a kind in errorKinds, so a
// client's errors.Is matches what the plane returned.
var localOnlyErrors = []error{ErrAlreadyRunning}

// Handler serves the plane's API; shutdown is called on POST /v1/shutdown.
func (p *Plane) Handler(shutdown func()) http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			e := apiError{Error: err.Error()}
			code := http.StatusInternalServerError
			for kind, target := range errorKinds {
				if errors.Is(err, target) {
					e.Kind = kind
					code = http.StatusConflict
					if target == ErrNotFound {
						code = http.StatusNotFound
					}
				}
			}
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(e)
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}
	decode := func(r *http.Request, v any) error {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		return dec.Decode(v)
	}
	ctxOf := func(r *http.Request) (context.Context, context.CancelFunc) {
		return context.WithTimeout(r.Context(), readyTimeout)
	}
	id2 := func(r *http.Request) string { return r.PathValue("env") + "/" + r.PathValue("region") }
	id3 := func(r *http.Request) string { return id2(r) + "/" + r.PathValue("svc") }

	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) { reply(w, p.Status(), nil) })
	mux.HandleFunc("GET /v1/version", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"api": APIVersion, "build": Build}, nil)
	})
	mux.HandleFunc("PUT /v1/regions/{env}/{region}", func(w http.ResponseWriter, r *http.Request) {
		reg, err := p.PutRegion(RegionSpec{Env: r.PathValue("env"), Name: r.PathValue("region")})
		reply(w, reg, err)
	})
	mux.HandleFunc("GET /v1/regions/{env}/{region}", func(w http.ResponseWriter, r *http.Request) {
		reg, err := p.GetRegion(id2(r))
		reply(w, reg, err)
	})
	mux.HandleFunc("DELETE /v1/regions/{env}/{region}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteRegion(id2(r)))
	})
	mux.HandleFunc("PUT /v1/images", func(w http.ResponseWriter, r *http.Request) {
		var spec ImageSpec
		if err := decode(r, &spec); err != nil {
			reply(w, nil, err)
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		img, err := p.BuildImage(ctx, spec)
		reply(w, img, err)
	})
	mux.HandleFunc("GET /v1/images/{digest}", func(w http.ResponseWriter, r *http.Request) {
		img, err := p.GetImage(r.PathValue("digest"))
		reply(w, img, err)
	})
	mux.HandleFunc("DELETE /v1/images/{digest}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteImage(r.PathValue("digest")))
	})
	mux.HandleFunc("PUT /v1/groups/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		var spec GroupSpec
		if err := decode(r, &spec); err != nil {
			reply(w, nil, err)
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		g, err := p.PutGroup(ctx, spec, true)
		reply(w, g, err)
	})
	mux.HandleFunc("GET /v1/groups/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		g, err := p.GetGroup(id3(r))
		reply(w, g, err)
	})
	mux.HandleFunc("DELETE /v1/groups/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteGroup(id3(r)))
	})
	mux.HandleFunc("POST /v1/groups/{env}/{region}/{svc}/kill", func(w http.ResponseWriter, r *http.Request) {
		slot, err := strconv.Atoi(r.URL.Query().Get("slot"))
		if err != nil {
			reply(w, nil, fmt.Errorf("slot: %w", err))
			return
		}
		pid, err := p.KillInstance(id3(r), slot)
		reply(w, map[string]int{"pid": pid}, err)
	})
	mux.HandleFunc("PUT /v1/balancers/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		var spec BalancerSpec
		if err := decode(r, &spec); err != nil {
			reply(w, nil, err)
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		b, err := p.PutBalancer(ctx, spec, true)
		reply(w, b, err)
	})
	mux.HandleFunc("GET /v1/balancers/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		b, err := p.GetBalancer(id3(r))
		reply(w, b, err)
	})
	mux.HandleFunc("GET /v1/balancers/{env}/{region}/{svc}/stats", func(w http.ResponseWriter, r *http.Request) {
		st, err := p.BalancerStats(id3(r))
		reply(w, st, err)
	})
	mux.HandleFunc("DELETE /v1/balancers/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteBalancer(id3(r)))
	})
	mux.HandleFunc("PUT /v1/dns/{env}", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := ctxOf(r)
		defer cancel()
		d, err := p.PutDNSServer(ctx, DNSServerSpec{Env: r.PathValue("env")})
		reply(w, d, err)
	})
	mux.HandleFunc("GET /v1/dns/{env}", func(w http.ResponseWriter, r *http.Request) {
		d, err := p.GetDNSServer(r.PathValue("env"))
		reply(w, d, err)
	})
	mux.HandleFunc("DELETE /v1/dns/{env}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteDNSServer(r.PathValue("env")))
	})
	mux.HandleFunc("PUT /v1/monitors/{env}", func(w http.ResponseWriter, r *http.Request) {
		var spec MonitorSpec
		if err := decode(r, &spec); err != nil {
			reply(w, nil, err)
			return
		}
		spec.Env = r.PathValue("env")
		ctx, cancel := ctxOf(r)
		defer cancel()
		m, err := p.PutMonitor(ctx, spec)
		reply(w, m, err)
	})
	mux.HandleFunc("GET /v1/monitors/{env}", func(w http.ResponseWriter, r *http.Request) {
		m, err := p.GetMonitor(r.PathValue("env"))
		reply(w, m, err)
	})
	mux.HandleFunc("DELETE /v1/monitors/{env}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteMonitor(r.PathValue("env")))
	})
	recordID := func(r *http.Request) string {
		return r.PathValue("env") + "/" + r.PathValue("zone") + "/" + r.PathValue("name")
	}
	mux.HandleFunc("PUT /v1/dns/{env}/{zone}/{name}", func(w http.ResponseWriter, r *http.Request) {
		var spec DNSRecordSpec
		if err := decode(r, &spec); err != nil {
			reply(w, nil, err)
			return
		}
		rec, err := p.PutDNSRecord(spec)
		reply(w, rec, err)
	})
	mux.HandleFunc("GET /v1/dns/{env}/{zone}/{name}", func(w http.ResponseWriter, r *http.Request) {
		rec, err := p.GetDNSRecord(recordID(r))
		reply(w, rec, err)
	})
	mux.HandleFunc("DELETE /v1/dns/{env}/{zone}/{name}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteDNSRecord(recordID(r)))
	})
	parameterID := func(r *http.Request) string { return id3(r) + "/" + r.PathValue("name") }
	mux.HandleFunc("PUT /v1/parameters/{env}/{region}/{svc}/{name}", func(w http.ResponseWriter, r *http.Request) {
		var spec ParameterSpec
		if err := decode(r, &spec); err != nil {
			reply(w, nil, err)
			return
		}
		if spec.ID() != parameterID(r) {
			reply(w, nil, fmt.Errorf("parameter %s: the body names %s", parameterID(r), spec.ID()))
			return
		}
		got, err := p.PutParameter(spec)
		reply(w, got, err)
	})
	mux.HandleFunc("GET /v1/parameters/{env}/{region}/{svc}/{name}", func(w http.ResponseWriter, r *http.Request) {
		got, err := p.GetParameter(parameterID(r))
		reply(w, got, err)
	})
	mux.HandleFunc("DELETE /v1/parameters/{env}/{region}/{svc}/{name}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteParameter(parameterID(r)))
	})
	mux.HandleFunc("PUT /v1/databases/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		var spec DatabaseSpec
		if err := decode(r, &spec); err != nil {
			reply(w, nil, err)
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		d, err := p.PutDatabase(ctx, spec)
		reply(w, d, err)
	})
	mux.HandleFunc("GET /v1/databases/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		d, err := p.GetDatabase(r.Context(), id3(r))
		reply(w, d, err)
	})
	mux.HandleFunc("DELETE /v1/databases/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteDatabase(r.Context(), id3(r)))
	})
	mux.HandleFunc("POST /v1/databases/{env}/{region}/{svc}/promote", func(w http.ResponseWriter, r *http.Request) {
		d, err := p.PromoteDatabase(r.Context(), id3(r))
		reply(w, d, err)
	})
	backupID := func(r *http.Request) string { return r.PathValue("env") + "/" + r.PathValue("svc") }
	mux.HandleFunc("PUT /v1/backups/{env}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		var spec BackupSpec
		if err := decode(r, &spec); err != nil {
			reply(w, nil, err)
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		b, err := p.PutBackup(ctx, spec)
		reply(w, b, err)
	})
	mux.HandleFunc("GET /v1/backups/{env}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		b, err := p.GetBackup(r.Context(), backupID(r))
		reply(w, b, err)
	})
	mux.HandleFunc("DELETE /v1/backups/{env}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteBackup(r.Context(), backupID(r)))
	})
	mux.HandleFunc("POST /v1/backups/{env}/{svc}/run", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := ctxOf(r)
		defer cancel()
		b, err := p.RunBackup(ctx, backupID(r), r.URL.Query().Get("type"))
		reply(w, b, err)
	})
	mux.HandleFunc("POST /v1/regions/{env}/{region}/suspend", func(w http.ResponseWriter, r *http.Request) {
		killed, err := p.SuspendRegion(r.PathValue("env"), r.PathValue("region"))
		reply(w, map[string][]string{"killed": killed}, err)
	})
	mux.HandleFunc("POST /v1/regions/{env}/{region}/resume", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := ctxOf(r)
		defer cancel()
		notes, err := p.ResumeRegion(ctx, r.PathValue("env"), r.PathValue("region"))
		reply(w, map[string][]string{"notes": notes}, err)
	})
	mux.HandleFunc("POST /v1/regions/{env}/{region}/partition", func(w http.ResponseWriter, r *http.Request) {
		table, err := p.PartitionRegion(r.PathValue("env"), r.PathValue("region"))
		reply(w, map[string]string{"table": table}, err)
	})
	mux.HandleFunc("POST /v1/regions/{env}/{region}/heal", func(w http.ResponseWriter, r *http.Request) {
		healed, err := p.HealRegion(r.PathValue("env"), r.PathValue("region"))
		reply(w, map[string]bool{"healed": healed}, err)
	})
	mux.HandleFunc("POST /v1/databases/{env}/{region}/{svc}/sync", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Standbys []string `json:"standbys"`
			Reset    bool     `json:"reset"`
		}
		if err := decode(r, &body); err != nil {
			reply(w, nil, err)
			return
		}
		var err error
		if body.Reset {
			err = p.ResetSynchronousStandbys(r.Context(), id3(r))
		} else {
			err = p.SetSynchronousStandbys(r.Context(), id3(r), body.Standbys)
		}
		reply(w, struct{}{}, err)
	})
	mux.HandleFunc("POST /v1/databases/{env}/{region}/{svc}/kill", func(w http.ResponseWriter, r *http.Request) {
		pid, err := p.KillDatabase(id3(r))
		reply(w, map[string]int{"pid": pid}, err)
	})
	mux.HandleFunc("POST /v1/groups/{env}/{region}/{svc}/zones/{zone}", func(w http.ResponseWriter, r *http.Request) {
		zone, err := strconv.Atoi(r.PathValue("zone"))
		if err != nil {
			reply(w, nil, fmt.Errorf("zone: %w", err))
			return
		}
		killed, err := p.SetZoneDown(id3(r), zone, r.URL.Query().Get("down") == "true")
		reply(w, map[string][]string{"killed": killed}, err)
	})
	mux.HandleFunc("POST /v1/regions/{env}/{region}/abandon", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := ctxOf(r)
		defer cancel()
		notes, err := p.AbandonRegion(ctx, r.PathValue("env"), r.PathValue("region"))
		reply(w, map[string][]string{"notes": notes}, err)
	})
	mux.HandleFunc("POST /v1/databases/{env}/{region}/{svc}/switchover", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := ctxOf(r)
		defer cancel()
		notes, err := p.SwitchoverDatabase(ctx, r.PathValue("env"), r.PathValue("svc"), r.PathValue("region"))
		reply(w, map[string][]string{"notes": notes}, err)
	})
	mux.HandleFunc("PUT /v1/restore-copies/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := ctxOf(r)
		defer cancel()
		c, err := p.PutRestoreCopy(ctx, r.PathValue("env"), r.PathValue("svc"), r.PathValue("region"))
		reply(w, c, err)
	})
	mux.HandleFunc("DELETE /v1/restore-copies/{env}/{region}/{svc}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, p.DeleteRestoreCopy(r.Context(), r.PathValue("env"), r.PathValue("svc"), r.PathValue("region")))
	})
	mux.HandleFunc("POST /v1/shutdown", func(w http.ResponseWriter, r *http.Request) {
		reply(w, struct{}{}, nil)
		go shutdown()
	})
	return mux
}

// planeError is an error the plane classified: it reads as the plane wrote
// it and matches its kind with errors.Is.
type planeError struct {
	msg  string
	kind error
}

func (e *planeError) Error() string { return e.msg }
func (e *planeError) Unwrap() error { return e.kind }

// Client talks to a control plane over its unix socket.
type Client struct {
	http *http.Client
}

// NewClient returns a client for the control plane of a state directory.
func NewClient(dir string) *Client {
	sock := SocketPath(dir)
	return &Client{http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}}
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://plane"+path, rd)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("local control plane: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var e apiError
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			return fmt.Errorf("local control plane: %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(body)))
		}
		if target, ok := errorKinds[e.Kind]; ok {
			return &planeError{msg: e.Error, kind: target}
		}
		return fmt.Errorf("local control plane: %s %s: %s", method, path, e.Error)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Version returns the running plane's API version and build (0 and "" for
// a plane that predates versioning).
func (c *Client) Version(ctx context.Context) (int, string) {
	var v struct {
		API   int    `json:"api"`
		Build string `json:"build"`
	}
	if c.do(ctx, http.MethodGet, "/v1/version", nil, &v) != nil {
		return 0, ""
	}
	return v.API, v.Build
}

// Status returns everything the plane holds.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	return s, c.do(ctx, http.MethodGet, "/v1/status", nil, &s)
}

// PutRegion allocates a region.
func (c *Client) PutRegion(ctx context.Context, spec RegionSpec) (Region, error) {
	var r Region
	return r, c.do(ctx, http.MethodPut, "/v1/regions/"+spec.ID(), nil, &r)
}

// GetRegion returns a region.
func (c *Client) GetRegion(ctx context.Context, id string) (Region, error) {
	var r Region
	return r, c.do(ctx, http.MethodGet, "/v1/regions/"+id, nil, &r)
}

// DeleteRegion frees a region.
func (c *Client) DeleteRegion(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/regions/"+id, nil, nil)
}

// BuildImage builds an image.
func (c *Client) BuildImage(ctx context.Context, spec ImageSpec) (Image, error) {
	var i Image
	return i, c.do(ctx, http.MethodPut, "/v1/images", spec, &i)
}

// GetImage returns a stored image.
func (c *Client) GetImage(ctx context.Context, digest string) (Image, error) {
	var i Image
	return i, c.do(ctx, http.MethodGet, "/v1/images/"+digest, nil, &i)
}

// DeleteImage forgets an image no group uses.
func (c *Client) DeleteImage(ctx context.Context, digest string) error {
	return c.do(ctx, http.MethodDelete, "/v1/images/"+digest, nil, nil)
}

// PutGroup creates or updates a group and waits for it to be healthy.
func (c *Client) PutGroup(ctx context.Context, spec GroupSpec) (Group, error) {
	var g Group
	return g, c.do(ctx, http.MethodPut, "/v1/groups/"+spec.ID(), spec, &g)
}

// GetGroup returns a group.
func (c *Client) GetGroup(ctx context.Context, id string) (Group, error) {
	var g Group
	return g, c.do(ctx, http.MethodGet, "/v1/groups/"+id, nil, &g)
}

// DeleteGroup stops a group's instances.
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/groups/"+id, nil, nil)
}

// KillInstance kills one instance, as a crash would; it returns its PID.
func (c *Client) KillInstance(ctx context.Context, id string, slot int) (int, error) {
	var out struct {
		PID int `json:"pid"`
	}
	err := c.do(ctx, http.MethodPost, "/v1/groups/"+id+"/kill?slot="+strconv.Itoa(slot), nil, &out)
	return out.PID, err
}

// PutBalancer creates, updates or restarts a balancer and waits for it.
func (c *Client) PutBalancer(ctx context.Context, spec BalancerSpec) (Balancer, error) {
	var b Balancer
	return b, c.do(ctx, http.MethodPut, "/v1/balancers/"+spec.ID(), spec, &b)
}

// GetBalancer returns a balancer.
func (c *Client) GetBalancer(ctx context.Context, id string) (Balancer, error) {
	var b Balancer
	return b, c.do(ctx, http.MethodGet, "/v1/balancers/"+id, nil, &b)
}

// BalancerStats reads how many requests a balancer answered, and how many with a 5xx.
func (c *Client) BalancerStats(ctx context.Context, id string) (BalancerStats, error) {
	var st BalancerStats
	return st, c.do(ctx, http.MethodGet, "/v1/balancers/"+id+"/stats", nil, &st)
}

// DeleteBalancer stops a balancer.
func (c *Client) DeleteBalancer(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/balancers/"+id, nil, nil)
}

// PutDNSServer starts an environment's DNS server and waits for it.
func (c *Client) PutDNSServer(ctx context.Context, env string) (DNSServer, error) {
	var d DNSServer
	return d, c.do(ctx, http.MethodPut, "/v1/dns/"+env, nil, &d)
}

// PutMonitor starts or updates an environment's monitoring and waits until
// Prometheus is ready.
func (c *Client) PutMonitor(ctx context.Context, spec MonitorSpec) (Monitor, error) {
	var m Monitor
	return m, c.do(ctx, http.MethodPut, "/v1/monitors/"+spec.Env, spec, &m)
}

// GetMonitor returns an environment's monitoring.
func (c *Client) GetMonitor(ctx context.Context, env string) (Monitor, error) {
	var m Monitor
	return m, c.do(ctx, http.MethodGet, "/v1/monitors/"+env, nil, &m)
}

// DeleteMonitor stops an environment's monitoring.
func (c *Client) DeleteMonitor(ctx context.Context, env string) error {
	return c.do(ctx, http.MethodDelete, "/v1/monitors/"+env, nil, nil)
}

// GetDNSServer returns an environment's DNS server.
func (c *Client) GetDNSServer(ctx context.Context, env string) (DNSServer, error) {
	var d DNSServer
	return d, c.do(ctx, http.MethodGet, "/v1/dns/"+env, nil, &d)
}

// DeleteDNSServer stops an environment's DNS server.
func (c *Client) DeleteDNSServer(ctx context.Context, env string) error {
	return c.do(ctx, http.MethodDelete, "/v1/dns/"+env, nil, nil)
}

// PutDNSRecord creates or updates a health-checked record.
func (c *Client) PutDNSRecord(ctx context.Context, spec DNSRecordSpec) (DNSRecordSpec, error) {
	var r DNSRecordSpec
	return r, c.do(ctx, http.MethodPut, "/v1/dns/"+spec.ID(), spec, &r)
}

// GetDNSRecord returns a record.
func (c *Client) GetDNSRecord(ctx context.Context, id string) (DNSRecordSpec, error) {
	var r DNSRecordSpec
	return r, c.do(ctx, http.MethodGet, "/v1/dns/"+id, nil, &r)
}

// DeleteDNSRecord removes a record.
func (c *Client) DeleteDNSRecord(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/dns/"+id, nil, nil)
}

// PutParameter creates or updates a parameter.
func (c *Client) PutParameter(ctx context.Context, spec ParameterSpec) (ParameterSpec, error) {
	var r ParameterSpec
	return r, c.do(ctx, http.MethodPut, "/v1/parameters/"+spec.ID(), spec, &r)
}

// GetParameter returns a parameter.
func (c *Client) GetParameter(ctx context.Context, id string) (ParameterSpec, error) {
	var r ParameterSpec
	return r, c.do(ctx, http.MethodGet, "/v1/parameters/"+id, nil, &r)
}

// DeleteParameter removes a parameter.
func (c *Client) DeleteParameter(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/parameters/"+id, nil, nil)
}

// PutDatabase creates, updates or restarts a database member and waits for it.
func (c *Client) PutDatabase(ctx context.Context, spec DatabaseSpec) (Database, error) {
	var d Database
	return d, c.do(ctx, http.MethodPut, "/v1/databases/"+spec.ID(), spec, &d)
}

// GetDatabase returns a member's status.
func (c *Client) GetDatabase(ctx context.Context, id string) (Database, error) {
	var d Database
	return d, c.do(ctx, http.MethodGet, "/v1/databases/"+id, nil, &d)
}

// DeleteDatabase stops a member and removes its data (unless protected).
func (c *Client) DeleteDatabase(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/databases/"+id, nil, nil)
}

// PromoteDatabase makes a replica the primary.
func (c *Client) PromoteDatabase(ctx context.Context, id string) (Database, error) {
	var d Database
	return d, c.do(ctx, http.MethodPost, "/v1/databases/"+id+"/promote", nil, &d)
}

// PutBackup creates or updates a backup plan (a first full backup on create).
func (c *Client) PutBackup(ctx context.Context, spec BackupSpec) (Backup, error) {
	var b Backup
	return b, c.do(ctx, http.MethodPut, "/v1/backups/"+spec.ID(), spec, &b)
}

// GetBackup returns a plan and its backups.
func (c *Client) GetBackup(ctx context.Context, id string) (Backup, error) {
	var b Backup
	return b, c.do(ctx, http.MethodGet, "/v1/backups/"+id, nil, &b)
}

// DeleteBackup removes a plan and its backups.
func (c *Client) DeleteBackup(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/backups/"+id, nil, nil)
}

// RunBackup takes a backup now.
func (c *Client) RunBackup(ctx context.Context, id, kind string) (Backup, error) {
	var b Backup
	return b, c.do(ctx, http.MethodPost, "/v1/backups/"+id+"/run?type="+kind, nil, &b)
}

// SuspendRegion kills a region's processes, as its loss would.
func (c *Client) SuspendRegion(ctx context.Context, env, region string) ([]string, error) {
	var out struct {
		Killed []string `json:"killed"`
	}
	return out.Killed, c.do(ctx, http.MethodPost, "/v1/regions/"+env+"/"+region+"/suspend", nil, &out)
}

// ResumeRegion brings a suspended region back.
func (c *Client) ResumeRegion(ctx context.Context, env, region string) ([]string, error) {
	var out struct {
		Notes []string `json:"notes"`
	}
	return out.Notes, c.do(ctx, http.MethodPost, "/v1/regions/"+env+"/"+region+"/resume", nil, &out)
}

// PartitionRegion cuts a region off while its processes keep running; it
// returns the nftables table that does it.
func (c *Client) PartitionRegion(ctx context.Context, env, region string) (string, error) {
	var out struct {
		Table string `json:"table"`
	}
	return out.Table, c.do(ctx, http.MethodPost, "/v1/regions/"+env+"/"+region+"/partition", nil, &out)
}

// HealRegion removes a region's partition.
func (c *Client) HealRegion(ctx context.Context, env, region string) error {
	return c.do(ctx, http.MethodPost, "/v1/regions/"+env+"/"+region+"/heal", nil, nil)
}

// SetSynchronousStandbys changes (or, with reset, restores) the replicas a primary waits for.
func (c *Client) SetSynchronousStandbys(ctx context.Context, id string, standbys []string, reset bool) error {
	body := map[string]any{"standbys": standbys, "reset": reset}
	return c.do(ctx, http.MethodPost, "/v1/databases/"+id+"/sync", body, nil)
}

// KillDatabase kills a database member's server, as its loss would.
func (c *Client) KillDatabase(ctx context.Context, id string) (int, error) {
	var out struct {
		PID int `json:"pid"`
	}
	return out.PID, c.do(ctx, http.MethodPost, "/v1/databases/"+id+"/kill", nil, &out)
}

// SetZoneDown takes a group's zone down, or brings it back.
func (c *Client) SetZoneDown(ctx context.Context, id string, zone int, down bool) ([]string, error) {
	var out struct {
		Killed []string `json:"killed"`
	}
	return out.Killed, c.do(ctx, http.MethodPost, fmt.Sprintf("/v1/groups/%s/zones/%d?down=%v", id, zone, down), nil, &out)
}

// AbandonRegion stops and forgets what is left of a region, before it is rebuilt.
func (c *Client) AbandonRegion(ctx context.Context, env, region string) ([]string, error) {
	var out struct {
		Notes []string `json:"notes"`
	}
	return out.Notes, c.do(ctx, http.MethodPost, "/v1/regions/"+env+"/"+region+"/abandon", nil, &out)
}

// SwitchoverDatabase makes the member of env/region/service the primary without losing a write.
func (c *Client) SwitchoverDatabase(ctx context.Context, env, service, region string) ([]string, error) {
	var out struct {
		Notes []string `json:"notes"`
	}
	return out.Notes, c.do(ctx, http.MethodPost, "/v1/databases/"+env+"/"+region+"/"+service+"/switchover", nil, &out)
}

// PutRestoreCopy restores a service's newest backup from region's vault into a scratch server there.
func (c *Client) PutRestoreCopy(ctx context.Context, env, service, region string) (RestoreCopy, error) {
	var out RestoreCopy
	return out, c.do(ctx, http.MethodPut, "/v1/restore-copies/"+env+"/"+region+"/"+service, nil, &out)
}

// DeleteRestoreCopy stops a restore copy and removes its data.
func (c *Client) DeleteRestoreCopy(ctx context.Context, env, service, region string) error {
	return c.do(ctx, http.MethodDelete, "/v1/restore-copies/"+env+"/"+region+"/"+service, nil, nil)
}

// Shutdown asks the plane to stop its processes and exit.
func (c *Client) Shutdown(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/shutdown", nil, nil)
}
