package localcloud

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// ErrAlreadyRunning is returned by Serve when a control plane holds the
// state directory. It never crosses the API (localapi holds those that do).
var ErrAlreadyRunning = errors.New("a control plane is already running for this state directory")

// Dir is the control plane's folder in a bulwark state directory.
func Dir(stateDir string) string { return filepath.Join(stateDir, "local") }

// SocketPath is the API socket in a control plane folder.
func SocketPath(dir string) string { return filepath.Join(dir, "plane.sock") }

// Dial returns a client of the control plane of a plane folder (Dir).
func Dial(dir string) *localapi.Client { return localapi.NewClient(SocketPath(dir)) }

func pidPath(dir string) string  { return filepath.Join(dir, "plane.pid") }
func lockPath(dir string) string { return filepath.Join(dir, "plane.lock") }

// LogPath is the control plane's log.
func LogPath(dir string) string { return filepath.Join(dir, "plane.log") }

// Serve runs the control plane in the foreground until ctx ends or a client
// asks it to shut down; then it stops every process it runs.
func Serve(ctx context.Context, dir string, logger *log.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	lock, err := os.OpenFile(lockPath(dir), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(pidPath(dir))
		return fmt.Errorf("%w (pid %s); stop it with `bulwark local stop`", ErrAlreadyRunning, strings.TrimSpace(string(pid)))
	}
	if err := os.WriteFile(pidPath(dir), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pidPath(dir))
	p, err := NewPlane(dir, logger)
	if err != nil {
		return err
	}
	_ = os.Remove(SocketPath(dir)) // a stale socket of a crashed plane; we hold the lock
	l, err := net.Listen("unix", SocketPath(dir))
	if err != nil {
		return err
	}
	defer os.Remove(SocketPath(dir))
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	srv := &http.Server{Handler: p.Handler(stop), ReadHeaderTimeout: 10 * time.Second}
	if err := p.EnterPlaneGroup(); err != nil {
		logger.Printf("regions cannot be partitioned: %v", err)
	}
	logger.Printf("control plane %d serving %s", os.Getpid(), SocketPath(dir))
	p.Start()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	logger.Printf("control plane stopping: stopping every process")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	p.Shutdown()
	p.LeavePlaneGroup()
	logger.Printf("control plane stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Running returns the PID of the control plane serving dir, or 0.
func Running(dir string) int {
	b, err := os.ReadFile(pidPath(dir))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if !alive(pid) {
		return 0
	}
	c, err := net.DialTimeout("unix", SocketPath(dir), time.Second)
	if err != nil {
		return 0
	}
	c.Close()
	return pid
}

// EnsureRunning starts the control plane detached (argv, with stdout and
// stderr to its log) unless one already serves dir, and waits for its socket.
func EnsureRunning(ctx context.Context, dir string, argv []string) (int, error) {
	if pid := Running(dir); pid != 0 {
		if api, build := Dial(dir).Version(ctx); api == localapi.APIVersion && build == Build {
			return pid, nil
		}
		// another build's plane: stop it (its processes stop with it, and the
		// new plane starts them again from the state on disk)
		if err := Stop(ctx, dir); err != nil {
			return 0, fmt.Errorf("replace the outdated control plane %d: %w", pid, err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(LogPath(dir), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives the caller
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start the local control plane: %w", err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps it if it exits while we wait
	deadline := time.After(15 * time.Second)
	for {
		if Running(dir) != 0 {
			return pid, nil
		}
		select {
		case err := <-exited:
			if Running(dir) != 0 { // another caller's plane won the lock
				return Running(dir), nil
			}
			return 0, fmt.Errorf("the local control plane exited at start (%v); see %s", err, LogPath(dir))
		case <-deadline:
			return 0, fmt.Errorf("the local control plane did not answer within 15s; see %s", LogPath(dir))
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop asks the plane serving dir to stop every process and exit, and waits
// for its PID to be gone (killing it after 30 s).
func Stop(ctx context.Context, dir string) error {
	pid := Running(dir)
	if pid == 0 {
		return nil
	}
	_ = Dial(dir).Shutdown(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return fmt.Errorf("control plane %d did not stop within 30s; killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
