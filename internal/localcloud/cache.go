package localcloud

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// A cache is one nginx (Debian's nginx-light) per service and region, on
// the region's CacheAddress at the service's port, in front of the
// service's load balancers: those of the regions its spec's Origins name,
// the first the primary and the others backups. Its cached paths are kept
// for the TTL and served stale (proxy_cache_use_stale) while the origins
// fail; every other path passes through uncached. Everything nginx writes
// — its configuration, cache, temporary files, PID file and error log —
// lies in the cache's folder: nginx runs with that folder as its prefix
// (-p) and its error log given (-e), so it never touches /var/log/nginx
// or /var/lib/nginx.
//
// Like a load balancer, a cache is managed, not supervised.

// cacheRunner runs one cache's nginx.
type cacheRunner struct {
	p      *Plane
	region localapi.Region
	managed

	spec    localapi.CacheSpec
	origins []string
	config  string
}

func (p *Plane) cacheName(id localapi.ServiceID) string { return "cache/" + id.String() }

func (p *Plane) cacheDir(spec localapi.CacheSpec) string {
	return filepath.Join(p.dir, "caches", spec.Env, spec.Region, spec.Service)
}

// checkCacheSpec says why a cache cannot be written into nginx's
// configuration (nil when it can), as an ErrBadRequest: its names (a
// comment, its folder) and its origins' regions must be names, its paths
// route paths (each a location), whatever the caller checked before.
func checkCacheSpec(spec localapi.CacheSpec) error {
	names := []struct{ what, value string }{{"environment", spec.Env}, {"region", spec.Region}, {"service", spec.Service}}
	for _, o := range spec.Origins {
		names = append(names, struct{ what, value string }{"origin", o})
	}
	for _, n := range names {
		if err := contract.CheckName(n.value); err != nil {
			return fmt.Errorf("%w: cache %q: %s: %w", localapi.ErrBadRequest, spec.ID().String(), n.what, err)
		}
	}
	for _, path := range spec.Paths {
		if err := contract.CheckRoutePath(path); err != nil {
			return fmt.Errorf("%w: cache %s: cached path: %w", localapi.ErrBadRequest, spec.ID(), err)
		}
	}
	seen := map[string]bool{}
	for _, path := range spec.Paths {
		if k := strings.TrimSuffix(path, "/"); seen[k] {
			return fmt.Errorf("%w: cache %s: the path %s is cached twice", localapi.ErrBadRequest, spec.ID(), path)
		} else {
			seen[k] = true
		}
	}
	switch {
	case spec.Port < 1 || spec.Port > 65535:
		return fmt.Errorf("%w: cache %s: port %d is not between 1 and 65535", localapi.ErrBadRequest, spec.ID(), spec.Port)
	case len(spec.Origins) == 0:
		return fmt.Errorf("%w: cache %s: no origins", localapi.ErrBadRequest, spec.ID())
	case spec.TTL <= 0:
		return fmt.Errorf("%w: cache %s: the TTL must be positive, not %s", localapi.ErrBadRequest, spec.ID(), spec.TTL)
	case spec.StaleFor < 0:
		return fmt.Errorf("%w: cache %s: stale-for %s is negative", localapi.ErrBadRequest, spec.ID(), spec.StaleFor)
	}
	return nil
}

// PutCache creates, updates or restarts a cache, and returns once it
// listens. Its origins' regions must exist (their balancers need not run
// yet: a cache in front of a down origin serves what it holds).
func (p *Plane) PutCache(ctx context.Context, spec localapi.CacheSpec) (localapi.Cache, error) {
	if err := checkCacheSpec(spec); err != nil {
		return localapi.Cache{}, err
	}
	bin, err := lookProgram("nginx", "cache "+spec.ID().String(), "nginx-light")
	if err != nil {
		return localapi.Cache{}, err
	}
	region, err := p.regionOf(spec.ID().RegionID())
	if err != nil {
		return localapi.Cache{}, err
	}
	var origins []string
	for _, o := range spec.Origins {
		r, err := p.regionOf(localapi.RegionID{Env: spec.Env, Region: o})
		if err != nil {
			return localapi.Cache{}, fmt.Errorf("cache %s: origin region %s of %s: %w", spec.ID(), o, spec.Env, localapi.ErrNotFound)
		}
		origins = append(origins, net.JoinHostPort(r.BalancerAddress(), strconv.Itoa(spec.Port)))
	}
	c, _, err := register(p, p.caches, p.state.Caches, spec.ID(), spec, func() *cacheRunner {
		return &cacheRunner{p: p, region: region}
	})
	if err != nil {
		return localapi.Cache{}, err
	}
	if err := c.apply(bin, spec, origins); err != nil {
		return c.status(), err
	}
	addr := net.JoinHostPort(region.CacheAddress(), strconv.Itoa(spec.Port))
	err = waitListening(ctx, "cache "+spec.ID().String(), addr, func() bool { return c.status().Running },
		filepath.Join(p.cacheDir(spec), "error.log"))
	return c.status(), err
}

// apply writes the configuration, has nginx test it, and starts nginx, or
// has a running one reload it (SIGHUP: new workers, no connection
// dropped) when it changed.
func (c *cacheRunner) apply(bin string, spec localapi.CacheSpec, origins []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg, err := nginxConfig(spec, net.JoinHostPort(c.region.CacheAddress(), strconv.Itoa(spec.Port)), origins, os.Geteuid() == 0)
	if err != nil {
		return err
	}
	dir := c.p.cacheDir(spec)
	if err := os.MkdirAll(filepath.Join(dir, "temp"), 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, "nginx.conf")
	if c.proc == nil {
		c.adoptRecorded(c.p, c.p.cacheName(spec.ID()), "nginx", syscall.SIGTERM)
		if old, err := os.ReadFile(path); err == nil && c.proc != nil {
			c.config = string(old)
		}
	}
	c.spec, c.origins = spec, origins
	if c.proc.running() && cfg == c.config {
		return nil
	}
	// tried before it replaces the one that runs
	next := filepath.Join(dir, "nginx.conf.next")
	if err := os.WriteFile(next, []byte(cfg), 0o600); err != nil {
		return err
	}
	errorLog := filepath.Join(dir, "error.log")
	prefix := dir + string(filepath.Separator)
	if out, err := exec.Command(bin, "-t", "-q", "-p", prefix, "-e", errorLog, "-c", next).CombinedOutput(); err != nil {
		_ = os.Remove(next)
		return fmt.Errorf("cache %s: nginx refuses its configuration: %s", spec.ID(), strings.TrimSpace(string(out)))
	}
	if err := os.Rename(next, path); err != nil {
		return err
	}
	if c.proc.running() {
		if err := syscall.Kill(c.proc.PID, syscall.SIGHUP); err != nil {
			return fmt.Errorf("cache %s: reload: %w", spec.ID(), err)
		}
		c.config = cfg
		return nil
	}
	host, port, _ := net.SplitHostPort(net.JoinHostPort(c.region.CacheAddress(), strconv.Itoa(spec.Port)))
	if err := portFree(host, port); err != nil {
		return fmt.Errorf("cache %s: %w", spec.ID(), err)
	}
	proc, err := spawn(exec.Command(bin, "-p", prefix, "-e", errorLog, "-c", path), filepath.Join(dir, "nginx.log"), c.p.placement(spec.Env, spec.Region))
	if err != nil {
		return fmt.Errorf("cache %s: %w", spec.ID(), err)
	}
	c.proc, c.config = proc, cfg
	c.p.setPID(c.p.cacheName(spec.ID()), proc.PID)
	return nil
}

// nginxSeconds writes d as whole seconds, rounded up, at least one.
func nginxSeconds(d time.Duration) string {
	s := max(int64((d+time.Second-1)/time.Second), 1)
	return strconv.FormatInt(s, 10) + "s"
}

// nginxConfig renders a cache's configuration: listening on listen, the
// origins as one upstream (the first primary, the others backups), the
// spec's paths cached. Every path in it is relative to the prefix nginx
// runs with (the cache's folder). A spec that cannot be written
// (checkCacheSpec) is refused here too, so that one read back from an
// older state file never reaches nginx either.
//
// An entry not requested for TTL + StaleFor is dropped (inactive); until
// then it is served stale whenever the origins fail, time out or answer
// 5xx, and while one request refreshes it (background update, one request
// at a time to the origins per entry: the cache lock). The origins' own
// Cache-Control (max-age, stale-if-error) takes precedence over the TTL.
func nginxConfig(spec localapi.CacheSpec, listen string, origins []string, root bool) (string, error) {
	if err := checkCacheSpec(spec); err != nil {
		return "", err
	}
	if len(origins) != len(spec.Origins) {
		return "", fmt.Errorf("cache %s: %d origin addresses for %d origins", spec.ID(), len(origins), len(spec.Origins))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by bulwark's local control plane for %s. Do not edit.\n", spec.ID())
	b.WriteString("daemon off;\nworker_processes 1;\npid nginx.pid;\nerror_log error.log warn;\n")
	if root {
		// The control plane runs as root and keeps its folders 0700: the
		// workers, which read and write the cache in the cache's folder,
		// run as root too, not as nginx's default nobody, who could not.
		b.WriteString("user root;\n")
	}
	fmt.Fprintf(&b, `events {
    worker_connections 1024;
}

http {
    access_log off;
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    proxy_cache_path cache levels=1:2 keys_zone=cache:10m max_size=256m inactive=%s use_temp_path=off;

    upstream origins {
`, nginxSeconds(spec.TTL+spec.StaleFor))
	for i, o := range origins {
		backup := ""
		if i > 0 {
			backup = " backup"
		}
		fmt.Fprintf(&b, "        server %s max_fails=1 fail_timeout=2s%s; # %s\n", o, backup, spec.Origins[i])
	}
	fmt.Fprintf(&b, `    }

    server {
        listen %s;
        proxy_connect_timeout 500ms;
        proxy_next_upstream error timeout http_502 http_503 http_504;
        proxy_next_upstream_tries %d;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
`, listen, len(origins))
	if !slices.Contains(spec.Paths, "/") {
		b.WriteString("\n        location / {\n            proxy_pass http://origins;\n        }\n")
	}
	for _, path := range spec.Paths {
		// a prefix covers itself and what lies under it at a / boundary
		// (contract.PathCovers): /static is /static and /static/...
		var locations []string
		switch {
		case path == "/":
			locations = []string{"/"}
		case strings.HasSuffix(path, "/"):
			locations = []string{"= " + strings.TrimSuffix(path, "/"), path}
		default:
			locations = []string{"= " + path, path + "/"}
		}
		for _, l := range locations {
			fmt.Fprintf(&b, `
        location %s {
            proxy_pass http://origins;
            proxy_cache cache;
            proxy_cache_valid 200 %s;
            proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
            proxy_cache_background_update on;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 5s;
            add_header X-Cache-Status $upstream_cache_status always;
        }
`, l, nginxSeconds(spec.TTL))
		}
	}
	b.WriteString("    }\n}\n")
	return b.String(), nil
}

func (c *cacheRunner) status() localapi.Cache {
	pid, running := c.pid()
	c.mu.Lock()
	defer c.mu.Unlock()
	return localapi.Cache{CacheSpec: c.spec, PID: pid, Running: running, OriginAddresses: c.origins,
		Address: net.JoinHostPort(c.region.CacheAddress(), strconv.Itoa(c.spec.Port))}
}

// GetCache returns a cache's status (Running false when it died).
func (p *Plane) GetCache(_ context.Context, id localapi.ServiceID) (localapi.Cache, error) {
	c, err := lookup(p, p.caches, "cache", id)
	if err != nil {
		return localapi.Cache{}, err
	}
	return c.status(), nil
}

// DeleteCache stops nginx and removes the cache with what it held.
func (p *Plane) DeleteCache(_ context.Context, id localapi.ServiceID) error {
	c, spec, ok, err := forget(p, p.caches, p.state.Caches, id)
	if ok {
		c.stop(5 * time.Second)
		p.setPID(p.cacheName(id), 0)
		_ = os.RemoveAll(p.cacheDir(spec))
	}
	return err
}
