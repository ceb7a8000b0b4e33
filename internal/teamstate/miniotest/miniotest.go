package miniotest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/teamstate"
)

// Root credentials of every test server (MinIO wants a password of at
// least 8 characters).
const (
	AccessKey = "bulwark-test"
	SecretKey = "bulwark-test-secret"
	Region    = "us-east-1"
)

// BinaryEnv names the MinIO binary; `make test` sets it, which makes MinIO
// required.
const BinaryEnv = "BULWARK_MINIO"

// Server is a running MinIO.
type Server struct {
	// Addr is 127.0.0.1:<port> of the S3 API.
	Addr string
	// Dir holds the data folder and the log (minio.log).
	Dir string
	cmd *exec.Cmd
}

// Find is the MinIO binary: $BULWARK_MINIO, else the repository's
// bin/minio, else minio on PATH.
func Find() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			return "", fmt.Errorf("%s=%s: not a file (`make minio` builds it)", BinaryEnv, p)
		}
		return p, nil
	}
	var tried []string
	if root, err := repoRoot(); err == nil {
		p := filepath.Join(root, "bin", "minio")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
		tried = append(tried, p)
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("MinIO not found (looked for %s and minio on PATH): `make minio` builds the pinned one into bin/ (make test does)", strings.Join(tried, ", "))
}

// repoRoot is the folder holding this module's go.mod, above the working
// directory (a test runs in its package's folder).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for i := 0; i < 32; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/bulwark-dev/bulwark\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("not inside the bulwark repository")
}

// Start starts a server for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Find()
	if err != nil {
		if os.Getenv(BinaryEnv) == "" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	dir := t.TempDir()
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), Dir: dir}
	log, err := os.Create(filepath.Join(dir, "minio.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	s.cmd = exec.Command(bin, "server", filepath.Join(dir, "data"), "--quiet",
		"--address", s.Addr, "--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"--certs-dir", filepath.Join(dir, "certs"))
	s.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "HOME="+dir)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start MinIO: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(exited) }()
	t.Cleanup(func() { s.stop(exited) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		// live answers 200 before the object layer is up, saying
		// "x-minio-server-status: offline" (cmd/healthcheck-handler.go)
		resp, err := http.Get("http://" + s.Addr + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && resp.Header.Get("X-Minio-Server-Status") != "offline" {
				return s
			}
		}
		select {
		case <-exited:
			t.Fatalf("MinIO exited at start:\n%s", s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO did not answer on %s within 30s:\n%s", s.Addr, s.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop asks MinIO to stop (SIGTERM) and kills it if it has not exited
// within 10 s.
func (s *Server) stop(exited <-chan struct{}) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-exited
	}
}

// Env is the environment that reaches the server as its root user: the
// AWS SDK's credentials and region, with no shared configuration or
// instance metadata looked for.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey, "AWS_SESSION_TOKEN=",
		"AWS_REGION=" + Region, "AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Setenv sets Env for the test.
func (s *Server) Setenv(t testing.TB) {
	t.Helper()
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// StateURL is the s3:// state backend URL of a bucket on the server.
func (s *Server) StateURL(bucket string) string {
	return fmt.Sprintf("s3://%s?endpoint=http://%s&s3ForcePathStyle=true&region=%s", bucket, s.Addr, Region)
}

// Bucket creates a bucket (Setenv first) and returns its state URL.
func (s *Server) Bucket(t testing.TB, name string) string {
	t.Helper()
	u := s.StateURL(name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := teamstate.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MakeBucket(ctx); err != nil {
		t.Fatalf("create bucket %s: %v\n%s", name, err, s.logTail())
	}
	return u
}

// logTail is the end of the server's log.
func (s *Server) logTail() string {
	f, err := os.Open(filepath.Join(s.Dir, "minio.log"))
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 40 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// freePorts are n free loopback ports (held together, so distinct).
func freePorts(n int) ([]int, error) {
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
