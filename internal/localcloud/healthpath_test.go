package localcloud

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// A health-check path that is not a plain path never reaches HAProxy's
// configuration or a PowerDNS zone: the plane refuses it as a bad request
// and writes nothing, whatever its caller checked before.
func TestHostileHealthPathsAreRefused(t *testing.T) {
	p := newTestPlane(t)
	ctx := context.Background()
	for _, path := range []string{"/a b", "/a\nhttp-request deny", "/a')os.execute('id')--", `/a"b`, "/a#b", "/\xff"} {
		h := testHealth()
		h.Path = path
		if _, err := p.PutBalancer(ctx, localapi.BalancerSpec{Env: "t", Region: "east", Service: "shop", Port: 18099, Health: h}); !errors.Is(err, localapi.ErrBadRequest) {
			t.Errorf("balancer with %q: %v", path, err)
		}
		rec := localapi.DNSRecordSpec{Env: "t", Zone: "shop.test", Name: "www", TTL: 1, Port: 8080, Targets: [][]string{{"127.0.1.1"}}, HealthPath: path}
		if _, err := p.PutDNSRecord(ctx, rec); !errors.Is(err, localapi.ErrBadRequest) {
			t.Errorf("dns record with %q: %v", path, err)
		}
	}
	var written []string
	_ = filepath.WalkDir(p.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (filepath.Ext(path) == ".cfg" || filepath.Ext(path) == ".zone") {
			written = append(written, path)
		}
		return nil
	})
	if len(written) > 0 {
		t.Errorf("configuration written for refused specs: %v", written)
	}
}
