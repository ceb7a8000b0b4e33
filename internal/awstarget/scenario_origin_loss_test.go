package awstarget

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func TestAWSOriginLossIsRefusedWithWhy(t *testing.T) {
	w := newDegradeWorld(t)
	// no cache block: the fault's own refusal, as on local
	if _, err := w.drill(drill.OriginLoss, drill.Fault{}, ""); err == nil || !strings.Contains(err.Error(), "no cache block") {
		t.Fatalf("without a cache: %v", err)
	}
	w.topo.Services[0].Cache = &topology.Cache{Paths: []string{"/catalog"}, TTL: 2 * time.Second, StaleFor: time.Hour}
	svc := w.service("shop")
	fault, err := drill.ResolveFault(w.topo, svc, drill.OriginLoss, drill.Fault{})
	if err != nil {
		t.Fatal(err)
	}
	req := target.DrillRequest{Scenario: drill.OriginLoss, Service: svc, Region: "us-east-1", Fault: fault}
	_, err = w.tgt.Drill(context.Background(), req)
	if !errors.Is(err, target.ErrBadRequest) {
		t.Fatalf("err %v, want a bad request", err)
	}
	for _, want := range []string{"global stack's output cache", "redirect to HTTPS", "aws:ec2:stop-instances"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	req.Experiment = "EXTorigin"
	if _, err := w.tgt.Drill(context.Background(), req); !errors.Is(err, target.ErrBadRequest) || !strings.Contains(err.Error(), "global stack's output cache") {
		t.Fatalf("with --fis-template: %v, want the same refusal", err)
	}
	if n := w.started(); n != 0 {
		t.Errorf("%d experiments started", n)
	}
}
