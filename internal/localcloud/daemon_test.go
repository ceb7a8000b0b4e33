package localcloud

import (
	"context"
	"errors"
	"io"
	"log"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

func TestOneControlPlanePerStateDirectory(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { first <- Serve(ctx, dir, log.New(io.Discard, "", 0)) }()
	deadline := time.Now().Add(10 * time.Second)
	for Running(dir) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("control plane did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	err := Serve(context.Background(), dir, log.New(io.Discard, "", 0))
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second control plane: %v, want ErrAlreadyRunning", err)
	}
	if v, b := Dial(dir).Version(context.Background()); v != localapi.APIVersion || b != Build {
		t.Errorf("version = %d %q, want %d %q", v, b, localapi.APIVersion, Build)
	}
	// a client shuts it down; the first Serve returns cleanly
	if err := Dial(dir).Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-first:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("control plane did not stop")
	}
	cancel()
	if Running(dir) != 0 {
		t.Error("control plane still reported running")
	}
}
