package localprovider_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestLocalTargetEndToEnd(t *testing.T) {
	root := repoRoot()
	pulumiRoot, err := engine.FindPulumi(root)
	if err != nil {
		t.Fatalf("%v (make test builds it)", err)
	}
	providerDir, err := engine.FindProvider(root)
	if err != nil {
		t.Fatalf("%v (make test builds it)", err)
	}
	state := t.TempDir()
	plane := localcloud.Dir(state)
	t.Cleanup(func() {
		if err := localcloud.Stop(context.Background(), plane); err != nil {
			t.Error(err)
		}
	})
	r, err := engine.New(engine.Config{
		PulumiRoot: pulumiRoot, Project: "bulwark", Backend: "file://" + filepath.Join(state, "backend"),
		Home: filepath.Join(state, "home"), WorkDir: filepath.Join(state, "work"),
		PluginPaths: []workspace.PluginOptions{{Name: engine.ProviderPackage, Path: providerDir}},
		Env:         map[string]string{"BULWARK_STATE_DIR": state},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(root, "images"))}
	topo, err := l.LoadFile("testdata/two-regions.hcl")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	o := &orchestrate.Orchestrator{Engine: r, Topology: topo}

	sum, err := o.Up(ctx)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	// every region's service answers through its own load balancer
	for _, res := range sum.Results[:2] {
		services, _ := res.Outputs["services"].(map[string]any)
		shop, _ := services["shop"].(map[string]any)
		endpoint, _ := shop["endpoint"].(string)
		region, _ := res.Outputs["region"].(string)
		if !strings.HasPrefix(endpoint, "127.0.") || !strings.HasSuffix(endpoint, ":28080") {
			t.Fatalf("%s endpoint = %q", res.Stack, endpoint)
		}
		body := mustGet(t, "http://"+endpoint+"/")
		if body["region"] != region {
			t.Errorf("%s answered from %v, want %s", endpoint, body["region"], region)
		}
	}

	// an instance that dies is replaced, and the group is whole again
	c := localcloud.NewClient(plane)
	pid, err := c.KillInstance(ctx, "e2e/east/shop", 1)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		g, err := c.GetGroup(ctx, "e2e/east/shop")
		if err == nil && g.Replaced >= 1 && g.Healthy() == 2 && g.Instances[1].PID != pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %d not replaced within 30s: %+v %v", pid, g, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	sum, err = o.Preview(ctx)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	for _, res := range sum.Results {
		for op, n := range res.Changes {
			if op != "same" && n > 0 {
				t.Errorf("%s: preview after up shows %v", res.Stack, res.Changes)
			}
		}
	}

	// destroy stops every process by PID
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, g := range st.Groups {
		for _, in := range g.Instances {
			pids = append(pids, in.PID)
		}
	}
	for _, b := range st.Balancers {
		pids = append(pids, b.PID)
	}
	if len(pids) != 6 {
		t.Fatalf("want 4 instances and 2 balancers, have pids %v", pids)
	}
	if _, err := o.Destroy(ctx); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	for _, pid := range pids {
		if running(pid) {
			t.Errorf("process %d still runs after destroy", pid)
		}
	}
	st, _ = c.Status(ctx)
	if len(st.Groups)+len(st.Balancers)+len(st.Regions) != 0 {
		t.Errorf("control plane still holds %+v", st)
	}
}

func mustGet(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(b, &m) != nil {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return m
}

// running reports whether pid is a live (not zombie) process.
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}
