package main

import (
	"context"
	"errors"
	"fmt"
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
	deps, err := contract.DecodeDependencies(os.Getenv(contract.Dependencies))
	if err != nil {
		log.Fatalf("shop: %v", err)
	}
	cfg.Dependencies = deps
	cfg.CacheControl = os.Getenv(contract.CacheControl)
	queue, err := openQueue(ctx, cfg)
	if err != nil {
		log.Fatalf("shop: %v", err)
	}
	if queue != nil {
		defer queue.Close()
		cfg.Queue = queue
	}
	svc := NewHandler(cfg, store)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		if err := svc.Drain(ctx); err != nil {
			log.Printf("shop: queue: %v", err)
		}
	}()
	srv := &http.Server{Addr: cfg.Listen, Handler: svc, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("shop %s: region %q instance %q listening on %s (%d dependencies, queue %q)", cfg.Version, cfg.Region, cfg.Instance, cfg.Listen,
		len(cfg.Dependencies), os.Getenv(contract.QueueEngine))
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("shop: %v", err)
	}
	<-drained // the consumer acknowledged what it applied
}

// openQueue opens the write queue the contract names (nil without one).
func openQueue(ctx context.Context, cfg Config) (Queue, error) {
	engine, url, name := os.Getenv(contract.QueueEngine), os.Getenv(contract.QueueURL), os.Getenv(contract.QueueName)
	if engine == "" {
		return nil, nil
	}
	if url == "" || name == "" {
		return nil, fmt.Errorf("%s %q needs %s and %s", contract.QueueEngine, engine, contract.QueueURL, contract.QueueName)
	}
	switch engine {
	case contract.QueueEngineNATS:
		return openNATS(url, name, "shop "+cfg.Region+"/"+cfg.Instance)
	case contract.QueueEngineSQS:
		return openSQS(ctx, url, cfg.Region)
	}
	return nil, fmt.Errorf("%s: unknown queue engine %q", contract.QueueEngine, engine)
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
