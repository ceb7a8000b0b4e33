package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// secretEnv is the smallest local environment with a secret parameter:
// one region, one service of one instance.
const secretEnv = `environment "sec" {
  target = "local"
}
policy "min-capacity" {
  enforcement = "advisory"
}
policy "zone-spread" {
  enforcement = "advisory"
}
policy "region-count" {
  enforcement = "advisory"
}
region "east" {
  primary = true
}
service "vault-web" {
  mode  = "active-active"
  image = "web"
  port  = 18650
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  health {
    interval = "1s"
  }
  dns { zone = "vault.sec.test" }
  parameters = {
    GREETING = "hello"
  }
  secret_parameters = ["API_TOKEN"]
}
`

// A secret parameter stays secret through a real local run: an up without
// its variable deploys nothing and names the variable; an up with it
// hands the value to the instance (its /proc environ); then preview,
// plan, drift and destroy; and no file the runs wrote (the state
// directory: Pulumi's state and backups, the control plane's state and
// logs, every log and report; the project; the runs' TMPDIR) nor any
// command's output holds the value in clear.
func TestSecretParameterNeverInClear(t *testing.T) {
	bin := builtBulwark(t)
	project := t.TempDir()
	writeFiles(t, project, map[string]string{
		"Pulumi.yaml":          "name: sec\nruntime: go\n",
		"environments/sec.hcl": secretEnv,
		"images/web/go.mod":    "module web\n\ngo 1.22\n",
		"images/web/main.go":   webMain,
	})
	state, tmp := t.TempDir(), t.TempDir()
	plane := localPlane(t, state)
	const secret = "sEcReT-e2e-91c4d7a0"
	variable := topology.SecretParameterEnv("vault-web", "API_TOKEN")
	base := append(os.Environ(), "BULWARK_STATE_DIR="+state, "TMPDIR="+tmp)
	withSecret := append(append([]string{}, base...), variable+"="+secret)
	var outputs strings.Builder // every command's output, scanned at the end
	bulwark := func(env []string, args ...string) (int, string) {
		t.Helper()
		code, out := runBin(t, bin, project, env, args...)
		fmt.Fprintf(&outputs, "$ bulwark %s\n%s\n", strings.Join(args, " "), out)
		return code, out
	}

	// without the variable: refused before anything deploys, naming it
	if code, out := bulwark(base, "up", "--env", "sec"); code != exitBadInput || !strings.Contains(out, variable) {
		t.Fatalf("up without %s exits %d, want %d naming it:\n%s", variable, code, exitBadInput, out)
	}
	if _, err := os.Stat(filepath.Join(plane, "state.json")); err == nil {
		t.Error("the refused up started deploying (the control plane has state)")
	}
	// offline: no variable needed, the value masked
	if code, out := bulwark(base, "plan", "--env", "sec"); code != exitOK {
		t.Fatalf("plan exits %d:\n%s", code, out)
	}

	code, out := bulwark(withSecret, "up", "--env", "sec")
	if code != exitOK {
		planeLog, _ := os.ReadFile(localcloud.LogPath(plane))
		t.Fatalf("up exits %d:\n%s\ncontrol plane log:\n%s", code, out, planeLog)
	}
	// the instance got it, by the runtime contract
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := localcloud.Dial(plane).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pids := 0
	for _, g := range st.Groups {
		for _, in := range g.Instances {
			if in.PID == 0 {
				continue
			}
			pids++
			environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", in.PID))
			if err != nil {
				t.Fatal(err)
			}
			vars := strings.Split(string(environ), "\x00")
			for _, want := range []string{"API_TOKEN=" + secret, "GREETING=hello"} {
				if !containsString(vars, want) {
					t.Errorf("instance %s (pid %d) lacks %s", in.Name, in.PID, strings.SplitN(want, "=", 2)[0])
				}
			}
		}
	}
	if pids != 1 {
		t.Fatalf("%d running instances, want 1: %+v", pids, st.Groups)
	}
	for _, p := range st.Parameters {
		if p.Name == "API_TOKEN" && (!p.Secret || strings.Contains(p.Value+p.Sealed, secret)) {
			t.Errorf("the plane's status shows the secret parameter as %+v", p)
		}
	}

	if code, out := bulwark(withSecret, "preview", "--env", "sec"); code != exitOK {
		t.Fatalf("preview exits %d:\n%s", code, out)
	}
	if code, out := bulwark(withSecret, "drift", "--env", "sec"); code != exitOK {
		t.Errorf("drift exits %d (a secret read back as changed?):\n%s", code, out)
	}
	if code, out := bulwark(withSecret, "outputs", "--env", "sec"); code != exitOK {
		t.Errorf("outputs exits %d:\n%s", code, out)
	}
	if code, out := bulwark(base, "destroy", "--env", "sec", "--yes"); code != exitOK {
		t.Fatalf("destroy exits %d:\n%s", code, out)
	}

	// the scan: every file written, and every output
	scanned := 0
	for _, root := range []string{state, project, tmp} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
					return nil // a socket's or a vanished file's
				}
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			scanned++
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds the secret in clear", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if scanned < 10 {
		t.Errorf("scanned only %d files: the runs wrote less than expected", scanned)
	}
	if strings.Contains(outputs.String(), secret) {
		t.Errorf("a command printed the secret:\n%s", outputs.String())
	}
	t.Logf("scanned %d files", scanned)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
