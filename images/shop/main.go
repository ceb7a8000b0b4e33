package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

func main() {
	cfg := Config{
		Listen:   envOr(contract.Listen, "127.0.0.1:8080"),
		Region:   os.Getenv(contract.Region),
		Instance: envOr(contract.Instance, hostname()),
		Version:  version,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var store Store
	if url := os.Getenv(contract.DatabaseWriterURL); url != "" {
		pg, err := OpenPostgres(ctx, WithCredentials(url, os.Getenv(contract.DatabaseUser), os.Getenv(contract.DatabasePassword)))
		if err != nil {
			log.Fatalf("shop: %v", err)
		}
		defer pg.Close()
		store = pg
	}
	srv := &http.Server{Addr: cfg.Listen, Handler: NewHandler(cfg, store), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("shop %s: region %q instance %q listening on %s", cfg.Version, cfg.Region, cfg.Instance, cfg.Listen)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("shop: %v", err)
	}
}

// version is stamped at build time (-ldflags -X main.version=...).
var version = "dev"

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
