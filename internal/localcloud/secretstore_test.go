package localcloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

func TestSecretParameterSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	p, err := NewPlane(dir, log.New(&logs, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	const value = "s3cr3t-value-7f1d"
	ctx := context.Background()
	spec := localapi.ParameterSpec{Env: "dev", Region: "east", Service: "shop", Name: "API_TOKEN", Value: value, Secret: true}
	answer, err := p.PutParameter(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PutParameter(ctx, localapi.ParameterSpec{Env: "dev", Region: "east", Service: "shop", Name: "LOG_LEVEL", Value: "info"}); err != nil {
		t.Fatal(err)
	}
	got, err := p.GetParameter(ctx, spec.ID())
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]localapi.ParameterSpec{"put's answer": answer, "get": got} {
		if s.Value != localapi.RedactedValue || s.Sealed != "" || !s.Secret {
			t.Errorf("%s = %+v, want the value redacted and no ciphertext", what, s)
		}
	}
	// round trip: the instance's environment has it in clear
	if env := p.parameterEnv("dev", "east", "shop"); !slices.Equal(env, []string{"API_TOKEN=" + value, "LOG_LEVEL=info"}) {
		t.Errorf("instance environment = %q", env)
	}
	// at rest: no file of the plane's directory holds the value
	files := 0
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if bytes.Contains(b, []byte(value)) {
			t.Errorf("%s holds the secret in clear", path)
		}
		return err
	})
	if err != nil || files < 2 {
		t.Fatalf("walked %d files: %v", files, err)
	}
	state, _ := os.ReadFile(p.statePath())
	if !strings.Contains(string(state), `"sealed"`) {
		t.Errorf("the state holds no sealed value:\n%s", state)
	}
	st, err := os.Stat(secretKeyPath(dir))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", st, err)
	}
	key, _ := os.ReadFile(secretKeyPath(dir))
	if again, err := loadSecretKey(dir); err != nil || !bytes.Equal(again, key) {
		t.Errorf("the key is not kept: %v", err)
	}

	// another key: the value does not open, and is left out, by name only
	other := make([]byte, 32)
	if _, err := rand.Read(other); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretKeyPath(dir), other, 0o600); err != nil {
		t.Fatal(err)
	}
	if env := p.parameterEnv("dev", "east", "shop"); !slices.Equal(env, []string{"LOG_LEVEL=info"}) {
		t.Errorf("with another key the instance environment = %q", env)
	}
	if !strings.Contains(logs.String(), "dev/east/shop/API_TOKEN") || strings.Contains(logs.String(), value) {
		t.Errorf("log: %s", logs.String())
	}
}

func TestSecretSealBinding(t *testing.T) {
	key := make([]byte, 32)
	sealed, err := sealSecret(key, "dev/east/shop/A", "v")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := openSecret(key, "dev/east/shop/A", sealed); err != nil || v != "v" {
		t.Fatalf("open = %q, %v", v, err)
	}
	if _, err := openSecret(key, "dev/east/shop/B", sealed); !errors.Is(err, errSecretOpen) {
		t.Errorf("a sealed value moved to another parameter opens: %v", err)
	}
	wrong := bytes.Repeat([]byte{1}, 32)
	if _, err := openSecret(wrong, "dev/east/shop/A", sealed); !errors.Is(err, errSecretOpen) {
		t.Errorf("a wrong key opens: %v", err)
	}
}

func TestSecretKeyModeRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(secretKeyPath(dir), make([]byte, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(secretKeyPath(dir), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSecretKey(dir); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Errorf("a key others can read is used: %v", err)
	}
}
